// What every built-in controller shares: the common args (max_rounds, max_jobs_per_round,
// max_trials, stop_threshold, seed), the seeded Rng, recommendation numbering and the
// stop rule.
import type { ConcreteValues, SearchSpace } from '../../config/search-types.js';
import { ClaraError, closestNames } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { dims, type Dim } from '../space.js';
import { FAILED_SCORE, type Context, type Controller, type Outcome, type Recommendation } from '../types.js';

export interface Place {
  file: string;
  path: string;
}

export const COMMON_ARGS = ['max_rounds', 'max_jobs_per_round', 'max_trials', 'stop_threshold', 'seed'];

/** Reads and checks controller args; errors name the file and JSON path. */
export class ArgReader {
  constructor(private readonly args: Record<string, unknown>, private readonly place: Place, allowed: string[], who: string) {
    for (const k of Object.keys(args)) {
      if (!allowed.includes(k)) {
        const close = closestNames(k, allowed, 1);
        throw new ClaraError(`${who} has no argument '${k}'; it accepts ${allowed.join(', ')}` + (close.length ? ` (closest: ${close[0]})` : ''),
          { file: place.file, path: `${place.path}.args.${k}` });
      }
    }
  }

  num(name: string, opts: { int?: boolean; min?: number; max?: number; def: number }): number;
  num(name: string, opts: { int?: boolean; min?: number; max?: number; def?: undefined }): number | undefined;
  num(name: string, opts: { int?: boolean; min?: number; max?: number; def?: number }): number | undefined {
    const v = this.args[name];
    if (v === undefined || v === null) return opts.def;
    const where = { file: this.place.file, path: `${this.place.path}.args.${name}` };
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new ClaraError(`expected a number, got ${JSON.stringify(v)}`, where);
    if (opts.int && !Number.isInteger(n)) throw new ClaraError(`expected an integer, got ${n}`, where);
    if (opts.min !== undefined && n < opts.min) throw new ClaraError(`expected a value >= ${opts.min}, got ${n}`, where);
    if (opts.max !== undefined && n > opts.max) throw new ClaraError(`expected a value <= ${opts.max}, got ${n}`, where);
    return n;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.args[name];
    if (v === undefined || v === null) return def;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new ClaraError(`expected true or false, got ${JSON.stringify(v)}`, { file: this.place.file, path: `${this.place.path}.args.${name}` });
  }
}

export function isFailed(o: Outcome): boolean {
  return !Number.isFinite(o.score) || o.score <= FAILED_SCORE / 2;
}

export abstract class BaseController implements Controller {
  readonly maxRounds: number;
  readonly maxJobsPerRound: number | undefined;
  readonly maxTrials: number | undefined;
  readonly stopThreshold: number | undefined;
  private readonly seedArg: number | undefined;
  protected space: SearchSpace = { items: [] };
  protected dims: Dim[] = [];
  protected rng: Rng = new Rng(0);
  protected issued = 0;
  protected stopped = false;
  seed = 0;

  constructor(protected readonly reader: ArgReader, defaults: { maxRounds: number } = { maxRounds: 10 }) {
    this.maxRounds = reader.num('max_rounds', { int: true, min: 1, def: defaults.maxRounds });
    this.maxJobsPerRound = reader.num('max_jobs_per_round', { int: true, min: 1 });
    this.maxTrials = reader.num('max_trials', { int: true, min: 1 });
    this.stopThreshold = reader.num('stop_threshold', {});
    this.seedArg = reader.num('seed', { int: true, min: 0 });
  }

  setSearchSpace(space: SearchSpace, ctx: Context): void {
    this.space = space;
    this.dims = dims(space);
    const ctxSeed = ctx.props.seed;
    this.seed = this.seedArg ?? (typeof ctxSeed === 'number' ? ctxSeed : 0);
    this.rng = new Rng(this.seed);
  }

  /** Jobs per round: the arg, else one per worker. */
  protected jobsPerRound(ctx: Context): number {
    const w = ctx.props.numWorkers;
    return this.maxJobsPerRound ?? (typeof w === 'number' && w > 0 ? w : 1);
  }

  /** Total jobs: max_trials, else max_rounds × jobs per round. */
  protected budget(ctx: Context): number {
    return this.maxTrials ?? this.maxRounds * this.jobsPerRound(ctx);
  }

  protected make(values: ConcreteValues, round: number, controllerData?: unknown): Recommendation {
    const r: Recommendation = { id: this.issued++, values, round };
    if (controllerData !== undefined) r.controllerData = controllerData;
    return r;
  }

  /** True (and remembered) once a score reaches stop_threshold. */
  protected checkStop(o: Outcome): boolean {
    if (this.stopThreshold !== undefined && !isFailed(o) && o.score >= this.stopThreshold) this.stopped = true;
    return this.stopped;
  }

  abstract initialRecommendation(ctx: Context): Recommendation[];
  abstract refineRecommendation(outcome: Outcome, ctx: Context): Recommendation[];
}
