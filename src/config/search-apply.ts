// Applying a recommendation: a concrete config JSON with top-level variables, component args
// (alias-applied ones included), disabled flags set, resolved `apply` entries removed and,
// with removeSearch, every `search` entry dropped.
import { ClaraError } from '../util/errors.js';
import { isPlainObject } from '../util/json-file.js';
import { cloneJson, getAtPath } from './json-path.js';
import { collectComponents } from './tree.js';
import type { ConcreteValues, SearchSpace } from './search-types.js';
import { argValues, validateValues, type ValidateOptions } from './search-values.js';

export interface ApplyOptions extends ValidateOptions {
  /** Drop every `search` entry (top level and components). Default true. */
  removeSearch?: boolean;
  /** File name for errors. */
  file?: string;
}

/** A concrete config: `config` with `values` applied. `config` itself is not changed. */
export function applySearchValues(
  config: Record<string, unknown>,
  space: SearchSpace,
  values: ConcreteValues,
  opts: ApplyOptions = {},
): Record<string, unknown> {
  const file = opts.file ?? 'config';
  const checked = validateValues(space, values, opts);
  const out = cloneJson(config);
  const component = (path: string): Record<string, unknown> => {
    const c = getAtPath(out, path);
    if (!isPlainObject(c)) throw new ClaraError('search target component not found (the config does not match the space)', { file, path });
    return c;
  };
  const setArg = (path: string, arg: string, v: unknown) => {
    const c = component(path);
    if (arg === '@disabled') c.disabled = v;
    else {
      if (!isPlainObject(c.args)) c.args = {};
      (c.args as Record<string, unknown>)[arg] = v;
    }
    if (isPlainObject(c.apply) && arg in c.apply) {
      delete c.apply[arg];
      if (Object.keys(c.apply).length === 0) delete c.apply;
    }
  };
  for (const item of space.items) {
    const vals = argValues(item, checked[item.key]);
    item.targets.forEach((t, j) => {
      const v = vals[j];
      if (t.kind === 'var') out[t.name] = v;
      else if (t.kind === 'arg') setArg(t.componentPath!, t.name, v);
      else setArg(t.componentPath!, '@disabled', v);
      for (const a of t.appliedTo ?? []) setArg(a.componentPath, a.arg, v);
    });
  }
  if (opts.removeSearch !== false) {
    delete out.search;
    for (const n of collectComponents(out, { file })) {
      if ('search' in n.raw) delete n.raw.search;
    }
  }
  return out;
}
