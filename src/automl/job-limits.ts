// How long an AutoML job may hold a worker, so that one bad case (a hung read, a deadlock)
// cannot keep it forever. Executor args: `timeout_s` (0 = no limit; default derived from
// the train config: 30 minutes per epoch, at least an hour) and `stall_s` (0 = off; default
// 30 minutes): a job that sends no progress event and writes nothing to its log for that
// long is stopped as TIMEOUT.
import { ClaraError, type ErrorPlace } from '../util/errors.js';

const SECONDS_PER_EPOCH = 1800;
const MIN_TIMEOUT_S = 3600;
const DEFAULT_STALL_S = 1800;
const DEFAULT_EPOCHS = 100;

/** The epochs a train config asks for: its top-level `epochs` (what {epochs} resolves to) when a number. */
export function configEpochs(train: unknown): number {
  const e = (train as { epochs?: unknown } | null)?.epochs;
  const n = typeof e === 'string' ? Number(e) : e;
  return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.ceil(n) : DEFAULT_EPOCHS;
}

export function defaultJobTimeoutS(train: unknown): number {
  return Math.max(MIN_TIMEOUT_S, configEpochs(train) * SECONDS_PER_EPOCH);
}

function seconds(v: unknown, name: string, place: ErrorPlace): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ClaraError(`expected ${name} in seconds, a number >= 0 (0 = no limit), got ${JSON.stringify(v)}`, { ...place, path: `${place.path}.${name}` });
  }
  return v;
}

/** timeout_s and stall_s of the executor args, defaults filled in. */
export function jobLimits(args: Record<string, unknown>, train: unknown, place: ErrorPlace): { timeoutS: number; stallS: number } {
  return {
    timeoutS: seconds(args.timeout_s, 'timeout_s', place) ?? defaultJobTimeoutS(train),
    stallS: seconds(args.stall_s, 'stall_s', place) ?? DEFAULT_STALL_S,
  };
}
