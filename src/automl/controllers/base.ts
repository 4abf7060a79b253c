// What every built-in controller shares: the common args (max_rounds, max_jobs_per_round,
// max_trials, stop_threshold, seed), the seeded Rng, recommendation numbering and the
// stop rule.
import type { ConcreteValues, SearchSpace } from '../../config/search-types.js';
import type { Args } from '../../components/args.js';
import { Rng } from '../../util/random.js';
import { dims, type Dim } from '../space.js';
import { FAILED_SCORE, type Context, type Controller, type Outcome, type Recommendation } from '../types.js';

export interface Place {
  file: string;
  path: string;
}

export const COMMON_ARGS = ['max_rounds', 'max_jobs_per_round', 'max_trials', 'stop_threshold', 'seed'];

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

  constructor(
    protected readonly reader: Args,
    defaults: { maxRounds: number } = { maxRounds: 10 },
  ) {
    this.maxRounds = reader.num('max_rounds', defaults.maxRounds, { int: true, min: 1 });
    this.maxJobsPerRound = reader.optNum('max_jobs_per_round', { int: true, min: 1 });
    this.maxTrials = reader.optNum('max_trials', { int: true, min: 1 });
    this.stopThreshold = reader.optNum('stop_threshold');
    this.seedArg = reader.optNum('seed', { int: true, min: 0 });
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
    // stop_threshold is in the key metric's own units: a distance (o.score = −HD95 here) stops at or below it
    if (this.stopThreshold !== undefined && !isFailed(o) && (o.lowerIsBetter ? -o.score <= this.stopThreshold : o.score >= this.stopThreshold))
      this.stopped = true;
    return this.stopped;
  }

  abstract initialRecommendation(ctx: Context): Recommendation[];
  abstract refineRecommendation(outcome: Outcome, ctx: Context): Recommendation[];
}
