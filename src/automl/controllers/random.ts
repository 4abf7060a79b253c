// RandomController: uniform samples (log-uniform for log floats), seeded; one new job
// per finished job until the budget is spent.
import { sampleUniform } from '../space.js';
import type { Context, Outcome, Recommendation } from '../types.js';
import { Args } from '../../components/args.js';
import { BaseController, COMMON_ARGS, type Place } from './base.js';

export const RANDOM_ARGS = [...COMMON_ARGS];

export class RandomController extends BaseController {
  private perRound = 1;

  constructor(args: Record<string, unknown> = {}, place: Place = { file: 'config_automl.json', path: 'controller' }) {
    super(new Args(args, place).allow(RANDOM_ARGS, 'RandomController'));
  }

  initialRecommendation(ctx: Context): Recommendation[] {
    this.perRound = this.jobsPerRound(ctx);
    const n = this.dims.length === 0 ? 1 : Math.min(this.perRound, this.budget(ctx));
    return Array.from({ length: n }, () => this.next());
  }

  refineRecommendation(outcome: Outcome, ctx: Context): Recommendation[] {
    if (this.checkStop(outcome) || this.dims.length === 0 || this.issued >= this.budget(ctx)) return [];
    return [this.next()];
  }

  private next(): Recommendation {
    const round = Math.floor(this.issued / this.perRound) + 1;
    return this.make(sampleUniform(this.space, this.rng), round);
  }
}
