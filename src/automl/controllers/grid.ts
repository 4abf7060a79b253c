// GridController: every combination of enum choices, bools and floats/ints discretised
// to `float_points` values (log-spaced for log floats); combinations that differ only in
// inactive parameters run once. Order is the grid order, or shuffled with `shuffle`; the
// whole grid runs unless max_trials or max_rounds × max_jobs_per_round caps it.
import { Args } from '../../components/args.js';
import type { ConcreteValues } from '../../config/search-types.js';
import { dropInactive, fromIndex, fromUnit, isNumeric, valuesKey, type Dim } from '../space.js';
import type { Context, Outcome, Recommendation } from '../types.js';
import { BaseController, COMMON_ARGS, type Place } from './base.js';

export const GRID_ARGS = [...COMMON_ARGS, 'float_points', 'shuffle'];

export function gridAxis(d: Dim, points: number): (number | boolean)[] {
  if (!isNumeric(d)) return Array.from({ length: Math.max(1, d.n) }, (_, i) => fromIndex(d, i));
  if (points === 1) return [fromUnit(d, 0.5)];
  const vals = Array.from({ length: points }, (_, i) => fromUnit(d, d.kind === 'int' ? (i + 0.5) / points : i / (points - 1)));
  return [...new Set(vals)];
}

export class GridController extends BaseController {
  readonly floatPoints: number;
  readonly shuffle: boolean;
  private grid: ConcreteValues[] = [];
  private perRound = 1;
  private readonly roundsGiven: boolean;

  constructor(args: Record<string, unknown> = {}, place: Place = { file: 'config_automl.json', path: 'controller' }) {
    const reader = new Args(args, place).allow(GRID_ARGS, 'GridController');
    super(reader);
    this.roundsGiven = args.max_rounds !== undefined && args.max_rounds !== null;
    this.floatPoints = reader.num('float_points', 3, { int: true, min: 1 });
    this.shuffle = reader.bool('shuffle', false);
  }

  /** The whole grid, deduplicated over active values. */
  points(): ConcreteValues[] {
    let combos: ConcreteValues[] = [{}];
    for (const d of this.dims) {
      const axis = gridAxis(d, this.floatPoints);
      combos = combos.flatMap((c) => axis.map((v) => ({ ...c, [d.key]: v })));
    }
    const seen = new Set<string>();
    const out: ConcreteValues[] = [];
    for (const c of combos) {
      const v = dropInactive(this.space, c);
      const k = valuesKey(v);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(v);
      }
    }
    return out;
  }

  initialRecommendation(ctx: Context): Recommendation[] {
    this.grid = this.points();
    if (this.shuffle) this.rng.shuffle(this.grid);
    this.perRound = this.jobsPerRound(ctx);
    // The whole grid, unless max_trials or max_rounds (× jobs per round) cap it.
    if (this.maxTrials !== undefined || this.roundsGiven) this.grid = this.grid.slice(0, this.budget(ctx));
    return this.take(this.perRound);
  }

  refineRecommendation(outcome: Outcome): Recommendation[] {
    if (this.checkStop(outcome)) return [];
    return this.take(1);
  }

  private take(n: number): Recommendation[] {
    const out: Recommendation[] = [];
    while (out.length < n && this.issued < this.grid.length) {
      const round = Math.floor(this.issued / this.perRound) + 1;
      out.push(this.make(this.grid[this.issued], round));
    }
    return out;
  }
}
