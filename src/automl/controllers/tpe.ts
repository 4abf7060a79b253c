// TPEController (Bayesian, beyond Clara): after n_startup_trials random trials, the
// finished trials are split by score into the best γ share ("good", l) and the rest ("bad",
// g); a Parzen estimator of each is fitted and, of n_ei_candidates drawn from l, the one
// with the largest l(x)/g(x) (expected improvement) is recommended (48 by default: measured
// better than 24 on Branin and Hartmann6, benchmarks/controllers.ts); the startup trials are a
// maximin Latin-hypercube design (of 20 Latin hypercubes, the one whose closest two points are
// farthest apart; startup: 'lhs' for one plain Latin hypercube, 'random' for plain random).
// The joint estimator's kernel widths are clipped below at 1/min(100, N+1) for N observations
// in all (magic_clip: 'all'; Optuna's 'own' counts only the estimator's own observations, which keeps
// the good estimator, fitted on a handful of trials, too wide to refine a basin: Branin
// median regret @50 0.28 with 'own', 0.012 with 'all'). Jobs still running
// count as bad trials with the worst score (a constant liar), so parallel workers do not
// get the same point. A parameter only enters the estimators from trials where it was
// active, and a recommendation only carries the parameters active under its switches.
import { Args } from '../../components/args.js';
import type { ConcreteValues } from '../../config/search-types.js';
import { dropInactive, fromIndex, fromUnit, isNumeric, sampleUniform, toIndex, toUnit, type Dim } from '../space.js';
import type { Context, Outcome, Recommendation } from '../types.js';
import { ClaraError } from '../../util/errors.js';
import { BaseController, COMMON_ARGS, isFailed, type Place } from './base.js';
import { ageWeights, fitCategorical, fitNumeric, kernelLogPdfs, logSumExp, numericLogPdf, sampleKernel, sampleNumeric, type NumericParzen } from './parzen.js';

export const TPE_ARGS = [
  ...COMMON_ARGS,
  'n_startup_trials',
  'gamma',
  'n_ei_candidates',
  'prior_weight',
  'multivariate',
  'constant_liar',
  'startup',
  'magic_clip',
];

/** Latin hypercubes tried by the maximin startup design. */
const MAXIMIN_TRIES = 20;

interface Trial {
  id: number;
  values: ConcreteValues;
  /** undefined while running (constant liar). */
  score?: number;
  failed?: boolean;
}

export class TPEController extends BaseController {
  readonly nStartup: number;
  readonly gamma: number | undefined;
  readonly nCandidates: number;
  readonly priorWeight: number;
  readonly multivariate: boolean;
  readonly constantLiar: boolean;
  readonly startup: 'maximin' | 'lhs' | 'random';
  readonly magicClip: 'all' | 'own';
  private trials: Trial[] = [];
  private design: ConcreteValues[] = [];
  private perRound = 1;

  constructor(args: Record<string, unknown> = {}, place: Place = { file: 'config_automl.json', path: 'controller' }) {
    const reader = new Args(args, place).allow(TPE_ARGS, 'TPEController');
    super(reader);
    this.nStartup = reader.num('n_startup_trials', 10, { int: true, min: 0 });
    this.gamma = reader.optNum('gamma', { min: 0, max: 1 });
    this.nCandidates = reader.num('n_ei_candidates', 48, { int: true, min: 1 });
    this.priorWeight = reader.num('prior_weight', 1, { min: 0 });
    this.multivariate = reader.bool('multivariate', true);
    this.constantLiar = reader.bool('constant_liar', true);
    const st = args.startup ?? 'maximin';
    if (st !== 'maximin' && st !== 'lhs' && st !== 'random')
      throw new ClaraError(`expected startup 'maximin', 'lhs' or 'random', got ${JSON.stringify(st)}`, {
        file: place.file,
        path: `${place.path}.args.startup`,
      });
    this.startup = st;
    const mc = args.magic_clip ?? 'all';
    if (mc !== 'all' && mc !== 'own')
      throw new ClaraError(`expected magic_clip 'all' or 'own', got ${JSON.stringify(mc)}`, { file: place.file, path: `${place.path}.args.magic_clip` });
    this.magicClip = mc;
  }

  /** The startup design: one Latin hypercube, or the maximin one of MAXIMIN_TRIES (numeric axes, unit space). */
  private makeDesign(n: number): ConcreteValues[] {
    const tries = this.startup === 'maximin' ? MAXIMIN_TRIES : 1;
    const num = this.dims.filter(isNumeric);
    let best: ConcreteValues[] = [],
      bestDist = -1;
    for (let t = 0; t < tries; t++) {
      const pts = this.latinHypercube(n);
      const dist = minPairDistance(pts.map((p) => num.map((d) => toUnit(d, Number(p[d.key])))));
      if (dist > bestDist) {
        bestDist = dist;
        best = pts;
      }
    }
    return best.map((p) => dropInactive(this.space, p));
  }

  /** A Latin-hypercube design: each number axis cut in n strata, one point per stratum; categories balanced. */
  private latinHypercube(n: number): ConcreteValues[] {
    const pts: ConcreteValues[] = Array.from({ length: n }, () => ({}));
    for (const d of this.dims) {
      if (isNumeric(d)) {
        const strata = this.rng.shuffle(Array.from({ length: n }, (_, i) => i));
        strata.forEach((k, i) => {
          pts[i][d.key] = fromUnit(d, (k + this.rng.random()) / n);
        });
      } else {
        const k = Math.max(1, d.n);
        const cats = this.rng.shuffle(Array.from({ length: n }, (_, i) => i % k));
        cats.forEach((c, i) => {
          pts[i][d.key] = fromIndex(d, c);
        });
      }
    }
    return pts;
  }

  initialRecommendation(ctx: Context): Recommendation[] {
    this.perRound = this.jobsPerRound(ctx);
    const n = this.dims.length === 0 ? 1 : Math.min(this.perRound, this.budget(ctx));
    return Array.from({ length: n }, () => this.next());
  }

  /** A result of a configuration this controller did not propose (an initial recommendation): one more observation. */
  observe(values: ConcreteValues, outcome: Outcome): void {
    this.trials.push({ id: -1 - this.trials.length, values, failed: isFailed(outcome), score: outcome.score });
  }

  refineRecommendation(outcome: Outcome, ctx: Context): Recommendation[] {
    const t = this.trials.find((x) => x.id === outcome.recommendation.id);
    if (t) {
      t.failed = isFailed(outcome);
      t.score = outcome.score;
    }
    if (this.checkStop(outcome) || this.dims.length === 0 || this.issued >= this.budget(ctx)) return [];
    return [this.next()];
  }

  private next(): Recommendation {
    const round = Math.floor(this.issued / this.perRound) + 1;
    const done = this.trials.filter((t) => t.score !== undefined);
    let values: ConcreteValues;
    if (this.startup !== 'random' && this.issued < this.nStartup) {
      if (this.design.length === 0) this.design = this.makeDesign(this.nStartup);
      values = this.design[this.issued];
    } else {
      values = done.length < this.nStartup || done.every((t) => t.failed) ? sampleUniform(this.space, this.rng) : this.suggest();
    }
    const rec = this.make(values, round);
    this.trials.push({ id: rec.id, values });
    return rec;
  }

  /** The floor of kernel widths for `own` observations of one estimator out of `total` in all (undefined: the estimator's own rule). */
  private minSigma(total: number): number | undefined {
    return this.magicClip === 'all' ? 1 / Math.min(100, total + 1) : undefined;
  }

  /** Number of good trials for n observations. */
  private nGood(n: number): number {
    return this.gamma !== undefined ? Math.max(1, Math.ceil(this.gamma * n)) : Math.max(1, Math.min(Math.ceil(0.1 * n), 25));
  }

  private suggest(): ConcreteValues {
    // Failed trials and (with the liar) running ones are ranked worst.
    const considered = this.trials.filter((t) => t.score !== undefined || this.constantLiar);
    const worst = (t: Trial) => t.score === undefined || t.failed;
    const ranked = [...considered].sort((a, b) => {
      if (worst(a) !== worst(b)) return worst(a) ? 1 : -1;
      if (worst(a)) return a.id - b.id;
      return (b.score as number) - (a.score as number) || a.id - b.id;
    });
    const nGood = Math.min(this.nGood(ranked.filter((t) => !worst(t)).length || 1), ranked.length);
    const good = ranked.slice(0, nGood).sort((a, b) => a.id - b.id);
    const bad = ranked.slice(nGood).sort((a, b) => a.id - b.id);
    const values = this.multivariate ? this.suggestJoint(good, bad) : this.suggestIndependent(good, bad);
    return dropInactive(this.space, values);
  }

  private observations(d: Dim, trials: Trial[]): { xs: number[]; ws: number[] } {
    const w = ageWeights(trials.length);
    const xs: number[] = [],
      ws: number[] = [];
    trials.forEach((t, i) => {
      if (!(d.key in t.values)) return;
      xs.push(isNumeric(d) ? toUnit(d, Number(t.values[d.key])) : toIndex(d, t.values[d.key]));
      ws.push(w[i]);
    });
    return { xs, ws };
  }

  private suggestIndependent(good: Trial[], bad: Trial[], which: Dim[] = this.dims): ConcreteValues {
    const values: ConcreteValues = {};
    for (const d of which) {
      const g = this.observations(d, good),
        b = this.observations(d, bad);
      if (isNumeric(d)) {
        // Independent estimators keep the per-estimator clip: a floor from all observations
        // narrows each marginal alone and over-exploits (Hartmann6 univariate median regret
        // @100 0.80 with it, 0.28 without, seeds 1000-1059).
        const l = fitNumeric(g.xs, g.ws, { priorWeight: this.priorWeight, bandwidth: 'neighbour' });
        const h = fitNumeric(b.xs, b.ws, { priorWeight: this.priorWeight, bandwidth: 'neighbour' });
        let best = 0.5,
          bestScore = -Infinity;
        for (let c = 0; c < this.nCandidates; c++) {
          const x = sampleNumeric(l, this.rng);
          const s = numericLogPdf(l, x) - numericLogPdf(h, x);
          if (s > bestScore) {
            bestScore = s;
            best = x;
          }
        }
        values[d.key] = fromUnit(d, best);
      } else {
        values[d.key] = fromIndex(d, this.pickCategory(d, g, b));
      }
    }
    return values;
  }

  private pickCategory(d: Dim, g: { xs: number[]; ws: number[] }, b: { xs: number[]; ws: number[] }): number {
    const k = Math.max(1, d.n);
    const pl = fitCategorical(g.xs, g.ws, k, this.priorWeight);
    const pg = fitCategorical(b.xs, b.ws, k, this.priorWeight);
    let best = 0,
      bestScore = -Infinity;
    for (let c = 0; c < this.nCandidates; c++) {
      const i = this.rng.weightedIndex(pl);
      const s = Math.log(pl[i]) - Math.log(pg[i]);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return best;
  }

  /**
   * Multivariate TPE: one joint kernel per trial over the parameters active in every
   * considered trial (a candidate draws all its coordinates from the same kernel, and is
   * scored by the joint l/g ratio); parameters that are not always active are chosen
   * independently.
   */
  private suggestJoint(good: Trial[], bad: Trial[]): ConcreteValues {
    const all = [...good, ...bad];
    const joint = this.dims.filter((d) => all.every((t) => d.key in t.values));
    const values: ConcreteValues = {};
    const rest = this.dims.filter((d) => !joint.includes(d));
    if (rest.length) Object.assign(values, this.suggestIndependent(good, bad, rest));
    if (joint.length === 0) return values;
    type Model = { num: Map<string, NumericParzen>; cat: Map<string, number[][]>; logw: number[] };
    const fit = (trials: Trial[]): Model => {
      const w = [...ageWeights(trials.length), this.priorWeight];
      const total = w.reduce((a, b) => a + b, 0);
      const m: Model = { num: new Map(), cat: new Map(), logw: w.map((x) => Math.log(x / total)) };
      for (const d of joint) {
        if (isNumeric(d)) {
          m.num.set(
            d.key,
            fitNumeric(
              trials.map((t) => toUnit(d, Number(t.values[d.key]))),
              w.slice(0, -1),
              { priorWeight: this.priorWeight, bandwidth: 'neighbour', minSigma: this.minSigma(all.length) },
            ),
          );
        } else {
          const k = Math.max(1, d.n);
          const rows = trials.map((t) => {
            const row = new Array(k).fill(this.priorWeight / (trials.length + 1));
            row[toIndex(d, t.values[d.key])] += 1;
            const s = row.reduce((a, b) => a + b, 0);
            return row.map((x) => x / s);
          });
          rows.push(new Array(k).fill(1 / k));
          m.cat.set(d.key, rows);
        }
      }
      return m;
    };
    const lm = fit(good),
      gm = fit(bad);
    const logJoint = (m: Model, x: Map<string, number>) => {
      const per = [...m.logw];
      for (const [key, p] of m.num)
        kernelLogPdfs(p, x.get(key)!).forEach((l, i) => {
          per[i] += l;
        });
      for (const [key, rows] of m.cat)
        rows.forEach((row, i) => {
          per[i] += Math.log(row[x.get(key)!]);
        });
      return logSumExp(per);
    };
    let best = new Map<string, number>(),
      bestScore = -Infinity;
    const kernelWeights = lm.logw.map(Math.exp);
    for (let c = 0; c < this.nCandidates; c++) {
      const k = this.rng.weightedIndex(kernelWeights);
      const x = new Map<string, number>();
      for (const d of joint) {
        if (isNumeric(d)) x.set(d.key, sampleKernel(lm.num.get(d.key)!, k, this.rng));
        else x.set(d.key, this.rng.weightedIndex(lm.cat.get(d.key)![k]));
      }
      const s = logJoint(lm, x) - logJoint(gm, x);
      if (s > bestScore) {
        bestScore = s;
        best = x;
      }
    }
    for (const d of joint) values[d.key] = isNumeric(d) ? fromUnit(d, best.get(d.key)!) : fromIndex(d, best.get(d.key)!);
    return values;
  }
}

/** The smallest squared distance between two of the points (Infinity for fewer than two or no axes). */
export function minPairDistance(pts: number[][]): number {
  let best = Infinity;
  for (let i = 0; i < pts.length; i++) {
    for (let j = i + 1; j < pts.length; j++) {
      let s = 0;
      for (let k = 0; k < pts[i].length; k++) s += (pts[i][k] - pts[j][k]) ** 2;
      if (pts[i].length && s < best) best = s;
    }
  }
  return best;
}
