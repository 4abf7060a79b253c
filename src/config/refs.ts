// `"@name"` references (4.x): `@model`, `@pre_transforms`, `@optimizer`, `@conf` ...
// Lookup order from a JSON path inside section S (train, validate, ...): the key `name` in S,
// then in the other sections (train first), then at the top level, then a component whose
// alias or name is `name`. `@conf` is the whole (resolved) config.
import { ClaraError, closestNames, joinPath } from '../util/errors.js';
import { isPlainObject } from '../util/json-file.js';
import type { ComponentNode } from './component.js';

export const REF = /^@([A-Za-z_][\w]*)$/;

export interface RefTarget {
  /** JSON path of the target (`''` for `@conf`). */
  path: string;
  value: unknown;
}

/** The section a JSON path is in (`train.loss[0]` → `train`), `''` at the top level. */
function sectionOf(path: string): string {
  const m = /^([^.[]+)[.[]/.exec(path);
  return m ? m[1] : '';
}

/** Resolves `@name` used at `fromPath`, or throws a ClaraError naming the path and close names. */
export function resolveRefTarget(name: string, fromPath: string, json: Record<string, unknown>, index: Map<string, ComponentNode>, file: string): RefTarget {
  if (name === 'conf') return { path: '', value: json };
  const section = sectionOf(fromPath);
  const sections = Object.keys(json).filter((k) => isPlainObject(json[k]));
  const order = [section, 'train', ...sections].filter((s, i, a) => s && a.indexOf(s) === i);
  for (const s of order) {
    const block = json[s];
    if (isPlainObject(block) && name in block) return { path: joinPath(joinPath('', s), name), value: block[name] };
  }
  if (name in json) return { path: joinPath('', name), value: json[name] };
  const node = index.get(name);
  if (node) return { path: node.path, value: node.raw };
  const known = new Set<string>(['conf', ...index.keys(), ...Object.keys(json)]);
  for (const s of sections) for (const k of Object.keys(json[s] as object)) known.add(k);
  const close = closestNames(name, known);
  throw new ClaraError(`'@${name}' refers to nothing` + (close.length ? `; closest: ${close.map((c) => `@${c}`).join(', ')}` : ''), {
    file,
    path: fromPath,
  });
}

/** Every `@name` string in the tree (search entries excluded): {name, path}. */
export function collectRefs(tree: unknown, path = ''): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  const visit = (v: unknown, p: string) => {
    if (typeof v === 'string') {
      const m = REF.exec(v);
      if (m) out.push({ name: m[1], path: p });
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, joinPath(p, i)));
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) if (k !== 'search') visit(x, joinPath(p, k));
  };
  visit(tree, path);
  return out;
}

/** Every Python-only string in the tree: {value, path}. */
export function collectPythonStrings(tree: unknown, isPy: (s: string) => boolean): { value: string; path: string }[] {
  const out: { value: string; path: string }[] = [];
  const visit = (v: unknown, p: string) => {
    if (typeof v === 'string') {
      if (isPy(v)) out.push({ value: v, path: p });
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, joinPath(p, i)));
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) if (k !== 'search' && k !== 'name') visit(x, joinPath(p, k));
  };
  visit(tree, '');
  return out;
}
