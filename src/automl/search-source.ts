// Where the AutoML engine gets its search space from a train config and how it makes a
// concrete config from recommended values. The config area owns the full parser
// (`applySearchValues`); this seam lets the engine take it, and `basicSearchSource` is a
// small built-in one for Clara's common forms (top-level variables, component args,
// `@disabled`, `apply: {"@disabled": var}` switches) used until then.
import type { ConcreteValues, SearchItem, SearchSpace, SearchTarget } from '../config/search-types.js';
import { ClaraError, joinPath } from '../util/errors.js';

export interface SearchSource {
  parse(config: unknown, file: string): SearchSpace;
  apply(config: unknown, space: SearchSpace, values: ConcreteValues, opts: { removeSearch: boolean }): unknown;
}

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

function parseEntry(e: unknown, path: string, componentPath: string | undefined, index: number, file: string): SearchItem {
  if (!isObj(e)) throw new ClaraError('expected a search entry object {domain, type, args, targets}', { file, path });
  const type = e.type;
  if (type !== 'float' && type !== 'enum' && type !== 'int' && type !== 'bool') {
    throw new ClaraError(`search type must be float, enum, int or bool, got ${JSON.stringify(type)}`, { file, path: joinPath(path, 'type') });
  }
  const args = e.args;
  if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === 'string')) {
    throw new ClaraError('expected args: a non-empty list of names', { file, path: joinPath(path, 'args') });
  }
  const targets: SearchTarget[] = (args as string[]).map((a) => {
    if (a === '@disabled' && componentPath) return { kind: 'disabled', name: 'disabled', componentPath };
    if (componentPath && !a.startsWith('@')) {
      const [name, alias] = a.split('#');
      return { kind: 'arg', name, componentPath, ...(alias ? { alias } : {}) };
    }
    return { kind: 'var', name: a.replace(/^@/, '') };
  });
  const domain = typeof e.domain === 'string' ? e.domain : 'net';
  const key = `${domain}.${type}.${componentPath ?? 'search'}$${index}:${(args as string[]).join(',')}`;
  const item: SearchItem = { key, domain, type, args: args as string[], targets, path };
  const t = e.targets;
  if (type === 'enum') {
    if (!Array.isArray(t) || t.length === 0 || !t.every((c) => Array.isArray(c) && c.length === args.length)) {
      throw new ClaraError(`expected targets: a list of choices, each a list of ${args.length} value(s)`, { file, path: joinPath(path, 'targets') });
    }
    item.choices = t as unknown[][];
  } else if (type === 'float' || type === 'int') {
    if (!Array.isArray(t) || t.length !== 2 || !t.every((x) => typeof x === 'number') || (t[0] as number) > (t[1] as number)) {
      throw new ClaraError('expected targets: [min, max] with min <= max', { file, path: joinPath(path, 'targets') });
    }
    item.range = [t[0] as number, t[1] as number];
    if (e.log === true) item.log = true;
  }
  return item;
}

export const basicSearchSource: SearchSource = {
  parse(config: unknown, file: string): SearchSpace {
    const items: SearchItem[] = [];
    const applies: { variable: string; componentPath: string }[] = [];
    const walk = (node: unknown, path: string, isTop: boolean) => {
      if (Array.isArray(node)) { node.forEach((x, i) => walk(x, joinPath(path, i), false)); return; }
      if (!isObj(node)) return;
      if (Array.isArray(node.search)) {
        node.search.forEach((e, i) => items.push(parseEntry(e, joinPath(joinPath(path, 'search'), i), isTop ? undefined : path, items.length, file)));
      }
      if (isObj(node.apply) && typeof node.apply['@disabled'] === 'string') applies.push({ variable: node.apply['@disabled'] as string, componentPath: path });
      for (const [k, v] of Object.entries(node)) if (k !== 'search') walk(v, joinPath(path, k), false);
    };
    walk(config, '', true);
    for (const it of items) {
      for (const t of it.targets) {
        if (t.kind !== 'var') continue;
        const comps = applies.filter((a) => a.variable === t.name).map((a) => a.componentPath);
        if (comps.length) (it.switches ??= {})[t.name] = comps;
      }
      if (it.targets.some((t) => t.kind === 'disabled')) (it.switches ??= {}).disabled = [it.targets.find((t) => t.kind === 'disabled')!.componentPath!];
    }
    return { items };
  },

  apply(config: unknown, space: SearchSpace, values: ConcreteValues, opts: { removeSearch: boolean }): unknown {
    const out = structuredClone(config) as Json;
    const at = (path: string): Json | undefined => {
      let node: unknown = out;
      for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]/g)) {
        const k = m[1] ?? m[3] ?? Number(m[2]);
        node = (node as Record<string | number, unknown>)?.[k as string];
      }
      return isObj(node) ? node : undefined;
    };
    for (const it of space.items) {
      if (!(it.key in values)) continue;
      const v = values[it.key];
      const per = it.type === 'enum' ? it.choices![Number(v)] : it.targets.map(() => v);
      it.targets.forEach((t, i) => {
        if (t.kind === 'var') out[t.name] = per[i];
        else {
          const comp = t.componentPath !== undefined ? at(t.componentPath) : undefined;
          if (!comp) return;
          if (t.kind === 'disabled') comp.disabled = per[i];
          else (comp.args = isObj(comp.args) ? comp.args : {})[t.name] = per[i];
        }
      });
    }
    if (opts.removeSearch) {
      const strip = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(strip);
        else if (isObj(node)) { delete node.search; Object.values(node).forEach(strip); }
      };
      strip(out);
    }
    return out;
  },
};
