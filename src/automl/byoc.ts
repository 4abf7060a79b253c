// Bring-your-own AutoML components: config's loadByoc finds `"path": "module.Export"` in the
// MMAR; these adapters make the object a Controller or Handler, accepting camelCase or
// Clara's Python method names (set_search_space, initial_recommendation,
// refine_recommendation, start_job, end_job, ...).
import { ClaraError } from '../util/errors.js';
import type { Context, Controller, Handler, Outcome } from './types.js';

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
    throw new ClaraError(
      'a BYOC controller needs setSearchSpace, initialRecommendation and refineRecommendation (or set_search_space, initial_recommendation, refine_recommendation)',
      place,
    );
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
