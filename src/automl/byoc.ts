// Bring-your-own components for AutoML: `"path": "module.Export"` names an ES module in
// the MMAR (custom/, the MMAR root, config/; .js or .mjs) and one of its exports, a class
// built with `new Export(args)`. Clara's Python method names (set_search_space,
// initial_recommendation, refine_recommendation, start_job, end_job, ...) work too.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClaraError } from '../util/errors.js';
import type { Context, Controller, Handler, Outcome } from './types.js';

export async function loadByoc(spec: string, mmarRoot: string, place: { file: string; path: string }): Promise<new (args: Record<string, unknown>) => unknown> {
  const parts = spec.split('.');
  if (parts.length < 2 || parts.some((p) => !p)) {
    throw new ClaraError(`BYOC path '${spec}' must be 'module.Export' (a module in the MMAR and one of its exports)`, place);
  }
  const exportName = parts[parts.length - 1];
  const modRel = parts.slice(0, -1).join('/');
  const dirs = [join(mmarRoot, 'custom'), mmarRoot, join(mmarRoot, 'config')];
  const candidates = dirs.flatMap((d) => ['.js', '.mjs'].map((ext) => join(d, modRel + ext)));
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new ClaraError(`BYOC module '${parts.slice(0, -1).join('.')}' (for '${spec}') was not found in the MMAR; looked for ${candidates.join(', ')}`, place);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new ClaraError(`BYOC module ${file} failed to load: ${(e as Error).message}`, place);
  }
  const exp = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof exp !== 'function') {
    throw new ClaraError(`BYOC module ${file} has no class export '${exportName}'; it exports ${Object.keys(mod).join(', ') || 'nothing'}`, place);
  }
  return exp as new (args: Record<string, unknown>) => unknown;
}

type AnyObj = Record<string, unknown>;
function method(o: AnyObj, ...names: string[]): ((...a: unknown[]) => unknown) | undefined {
  for (const n of names) if (typeof o[n] === 'function') return (o[n] as (...a: unknown[]) => unknown).bind(o);
  return undefined;
}

/** A BYOC object as a Controller (camelCase or Clara's snake_case methods). */
export function asController(o: unknown, place: { file: string; path: string }): Controller {
  const obj = o as AnyObj;
  const set = method(obj, 'setSearchSpace', 'set_search_space');
  const init = method(obj, 'initialRecommendation', 'initial_recommendation');
  const refine = method(obj, 'refineRecommendation', 'refine_recommendation');
  if (!set || !init || !refine) {
    throw new ClaraError('a BYOC controller needs setSearchSpace, initialRecommendation and refineRecommendation (or set_search_space, initial_recommendation, refine_recommendation)', place);
  }
  const shutdown = method(obj, 'shutdown');
  return {
    setSearchSpace: (s, c) => void set(s, c),
    initialRecommendation: async (c) => ((await init(c)) ?? []) as never,
    refineRecommendation: async (out: Outcome, c: Context) => ((await refine(out, c)) ?? []) as never,
    ...(shutdown ? { shutdown: (c: Context) => void shutdown(c) } : {}),
  };
}

const HANDLER_METHODS: [keyof Handler, string[]][] = [
  ['startup', ['startup', 'start_automl']],
  ['searchSpaceAvailable', ['searchSpaceAvailable', 'search_space_available']],
  ['recommendationsAvailable', ['recommendationsAvailable', 'recommendations_available']],
  ['startJob', ['startJob', 'start_job']],
  ['jobProgress', ['jobProgress', 'job_progress']],
  ['endJob', ['endJob', 'end_job']],
  ['roundEnded', ['roundEnded', 'round_ended']],
  ['shutdown', ['shutdown', 'end_automl']],
];

/** A BYOC object as a Handler. */
export function asHandler(o: unknown): Handler {
  const obj = o as AnyObj;
  const h: Record<string, unknown> = {};
  for (const [ours, names] of HANDLER_METHODS) {
    const m = method(obj, ...names);
    if (m) h[ours] = m;
  }
  return h as Handler;
}
