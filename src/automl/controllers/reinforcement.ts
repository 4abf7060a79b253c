// ReinforcementController in Clara's manner: the space is split into an enum subspace
// (a categorical policy per enum/bool: softmax over logits) and a float subspace (a
// Gaussian policy per float/int in the normalised [0, 1] space). Each round samples
// max_jobs_per_round recommendations from the policies; when the round's scores are all
// in, a REINFORCE step moves the policies along advantage × ∇log π, with the advantage
// = (score − moving-average baseline) / spread of the scores seen so far.
import { Args } from '../../components/args.js';
import type { ConcreteValues } from '../../config/search-types.js';
import { dropInactive, fromIndex, fromUnit, isNumeric, toIndex } from '../space.js';
import type { Context, Outcome, Recommendation } from '../types.js';
import { BaseController, COMMON_ARGS, isFailed, type Place } from './base.js';

export const REINFORCEMENT_ARGS = [...COMMON_ARGS, 'learning_rate', 'baseline_decay', 'init_sigma', 'min_sigma'];

interface Sampled {
  /** Per dim: the categorical index, or the unclipped Gaussian draw in unit space. */
  raw: Record<string, number>;
}

export class ReinforcementController extends BaseController {
  readonly lr: number;
  readonly baselineDecay: number;
  readonly initSigma: number;
  readonly minSigma: number;
  private logits: Record<string, number[]> = {};
  private mu: Record<string, number> = {};
  private logSigma: Record<string, number> = {};
  private baseline: number | undefined;
  private round = 0;
  private perRound = 1;
  private pending = new Map<number, Sampled>();
  private roundResults: { s: Sampled; score: number | undefined }[] = [];
  private worstSeen: number | undefined;
  private seen: number[] = [];

  constructor(args: Record<string, unknown> = {}, place: Place = { file: 'config_automl.json', path: 'controller' }) {
    const reader = new Args(args, place).allow(REINFORCEMENT_ARGS, 'ReinforcementController');
    super(reader, { maxRounds: 8 });
    this.lr = reader.num('learning_rate', 0.3, { min: 0 });
    this.baselineDecay = reader.num('baseline_decay', 0.5, { min: 0, max: 1 });
    this.initSigma = reader.num('init_sigma', 0.25, { min: 1e-6 });
    this.minSigma = reader.num('min_sigma', 0.03, { min: 1e-6 });
  }

  /** The policy now (for logs and tests). */
  policy(): { logits: Record<string, number[]>; mu: Record<string, number>; sigma: Record<string, number>; baseline?: number } {
    const sigma: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.logSigma)) sigma[k] = Math.exp(v);
    return { logits: structuredClone(this.logits), mu: { ...this.mu }, sigma, baseline: this.baseline };
  }

  initialRecommendation(ctx: Context): Recommendation[] {
    for (const d of this.dims) {
      if (isNumeric(d)) {
        this.mu[d.key] = 0.5;
        this.logSigma[d.key] = Math.log(this.initSigma);
      } else this.logits[d.key] = new Array(Math.max(1, d.n)).fill(0);
    }
    this.perRound = this.maxTrials !== undefined ? Math.min(this.jobsPerRound(ctx), this.maxTrials) : this.jobsPerRound(ctx);
    if (this.dims.length === 0) return [this.make({}, 1)];
    return this.newRound(ctx);
  }

  refineRecommendation(outcome: Outcome, ctx: Context): Recommendation[] {
    const s = this.pending.get(outcome.recommendation.id);
    if (!s) return [];
    this.pending.delete(outcome.recommendation.id);
    const failed = isFailed(outcome);
    if (!failed) this.worstSeen = this.worstSeen === undefined ? outcome.score : Math.min(this.worstSeen, outcome.score);
    this.roundResults.push({ s, score: failed ? undefined : outcome.score });
    this.checkStop(outcome);
    if (this.pending.size > 0) return [];
    this.update();
    if (this.stopped || this.dims.length === 0 || this.round >= this.maxRounds) return [];
    if (this.maxTrials !== undefined && this.issued >= this.maxTrials) return [];
    return this.newRound(ctx);
  }

  private newRound(_ctx: Context): Recommendation[] {
    this.round++;
    this.roundResults = [];
    const n = this.maxTrials !== undefined ? Math.min(this.perRound, this.maxTrials - this.issued) : this.perRound;
    const recs: Recommendation[] = [];
    for (let j = 0; j < n; j++) {
      const raw: Record<string, number> = {};
      const values: ConcreteValues = {};
      for (const d of this.dims) {
        if (isNumeric(d)) {
          const x = this.rng.normal(this.mu[d.key], Math.exp(this.logSigma[d.key]));
          raw[d.key] = x;
          values[d.key] = fromUnit(d, x);
        } else {
          const i = this.rng.weightedIndex(softmax(this.logits[d.key]));
          raw[d.key] = i;
          values[d.key] = fromIndex(d, i);
        }
      }
      const rec = this.make(dropInactive(this.space, values), this.round);
      this.pending.set(rec.id, { raw });
      recs.push(rec);
    }
    return recs;
  }

  /** One REINFORCE step from the finished round. */
  private update(): void {
    const scored = this.roundResults.map((r) => ({ s: r.s, score: r.score ?? this.worstSeen ?? 0, failed: r.score === undefined }));
    if (scored.length === 0) return;
    const scores = scored.map((r) => r.score);
    // Failed jobs count as the worst score seen, minus a margin, so they are pushed away without swamping the scale.
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const spread = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
    const margin = spread > 0 ? spread : 1;
    for (const r of scored) if (r.failed) r.score -= margin;
    const meanAdj = scored.reduce((a, r) => a + r.score, 0) / scored.length;
    const baseline = this.baseline ?? meanAdj;
    // The spread of every valid score so far (one job per round has no spread of its own).
    for (const r of scored) if (!r.failed) this.seen.push(r.score);
    const m = this.seen.reduce((a, b) => a + b, 0) / Math.max(1, this.seen.length);
    const all = Math.sqrt(this.seen.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, this.seen.length));
    const scale = all > 0 ? all : spread > 0 ? spread : 1;
    for (const { s, score } of scored) {
      const adv = Math.max(-3, Math.min(3, (score - baseline) / scale)) / scored.length;
      if (adv === 0) continue;
      for (const d of this.dims) {
        const x = s.raw[d.key];
        if (isNumeric(d)) {
          const sigma = Math.exp(this.logSigma[d.key]);
          const z = (x - this.mu[d.key]) / sigma;
          // ∇μ log N = z/σ, ∇logσ log N = z² − 1; steps in unit space, scaled by σ for stability.
          this.mu[d.key] = Math.min(1, Math.max(0, this.mu[d.key] + this.lr * adv * z * sigma));
          this.logSigma[d.key] = Math.max(Math.log(this.minSigma), Math.min(Math.log(0.5), this.logSigma[d.key] + this.lr * adv * (z * z - 1) * 0.5));
        } else {
          const p = softmax(this.logits[d.key]);
          const a = toIndex(d, x);
          this.logits[d.key] = this.logits[d.key].map((l, i) => l + this.lr * 4 * adv * ((i === a ? 1 : 0) - p[i]));
        }
      }
    }
    this.baseline = this.baseline === undefined ? meanAdj : this.baselineDecay * this.baseline + (1 - this.baselineDecay) * meanAdj;
  }
}

function softmax(l: number[]): number[] {
  const m = Math.max(...l);
  const e = l.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
