// loadMmar plus JSON-path overrides: `--set train.pre_transforms[5].args.spatial_size=[32,32,32]`
// changes that value of the train config before it is resolved (Clara's --set only sets
// variables; a path lets a user shrink a crop or a model of a config they did not write).
// Plain `K=V` items stay variables, as in Clara.
import { loadMmar, type LoadedMmar, type LoadMmarOptions } from '../mmar/load.js';
import { parseOverrideValue } from '../mmar/overrides.js';
import { ClaraError } from '../util/errors.js';

type Obj = Record<string, unknown>;

const PATH_KEY = /^(train|validate|determinism|[A-Za-z_]\w*)((\.[A-Za-z_][\w-]*)|(\[\d+\]))+$/;

/** `a.b[2].c` → ['a', 'b', 2, 'c']. */
export function splitPath(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/** Splits --set items into K=V pairs (several per item, space-separated; keys may be JSON paths). */
function splitItems(items: string[]): string[] {
  return items
    .flatMap((item) => item.trim().split(/\s+(?=[A-Za-z_][\w.\-[\]]*=)/))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** Items whose key is a JSON path (has `.` or `[i]`) vs plain variables. */
export function partitionSetItems(items: string[] | undefined): { vars: string[]; paths: { path: string; value: unknown }[] } {
  const vars: string[] = [];
  const paths: { path: string; value: unknown }[] = [];
  for (const pair of splitItems(items ?? [])) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (key && (key.includes('[') || key.includes('.')) && PATH_KEY.test(key)) paths.push({ path: key, value: parseOverrideValue(pair.slice(eq + 1)) });
    else vars.push(pair);
  }
  return { vars, paths };
}

/** Sets `value` at `path` in `root` (the parent must exist; lists by index). */
export function setAtPath(root: Obj, path: string, value: unknown, file: string): void {
  const parts = splitPath(path);
  let cur: unknown = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i];
    const next = (cur as Obj | unknown[])[k as never] as unknown;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw new ClaraError(`--set ${path}: nothing at ${parts.slice(0, i + 1).join('.')}`, { file, path });
    }
    cur = next;
  }
  const last = parts[parts.length - 1];
  if (Array.isArray(cur) && typeof last !== 'number') throw new ClaraError(`--set ${path}: expected an index into a list`, { file, path });
  (cur as Obj)[last as string] = value;
}

/** loadMmar with JSON-path --set items applied to the train config before resolution. */
export function loadMmarWithOverrides(root: string, opts: LoadMmarOptions = {}): LoadedMmar {
  const { vars, paths } = partitionSetItems(opts.set);
  if (paths.length === 0) return loadMmar(root, opts);
  const m = loadMmar(root, { ...opts, set: vars });
  const raw = structuredClone(m.train.raw);
  for (const p of paths) setAtPath(raw, p.path, p.value, m.paths.trainConfig);
  return { ...m, train: resolveAgain(m, raw) };
}

import { resolveConfig } from '../config/resolve.js';
import { builtinVariables } from '../mmar/load.js';

function resolveAgain(m: LoadedMmar, raw: Obj): LoadedMmar['train'] {
  return resolveConfig(raw, {
    file: m.paths.trainConfig,
    layers: [
      { values: builtinVariables(m.paths), source: 'builtin' },
      { values: m.environment, source: 'environment', file: m.paths.environment },
      { values: m.overrides, source: 'set', file: '--set' },
    ],
  });
}
