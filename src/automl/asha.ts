// Successive halving as a scheduler (ASHA, asynchronous; Hyperband with brackets): the
// controller proposes configurations, this decides how many epochs each one trains and
// which ones continue. Rungs are epoch counts min_epochs·η^k below max_epochs, then
// max_epochs. A configuration (a trial) starts at the first rung of its bracket; when a
// worker frees up, the best trial of a rung that is in the top 1/η of that rung's results
// (and not promoted yet) is promoted to the next rung (highest rung first), and continues
// from its `last` checkpoint. Otherwise a new configuration starts. When no new
// configuration can come (the controller is done), a bracket with no trial at max_epochs
// takes its best trial one rung up at a time, so that every bracket ends with a trial at
// the full budget (the failure of asynchronous Hyperband that Ray Tune users report).
// Brackets (Hyperband): bracket s starts its trials at rung s and halves on its own;
// trial i goes to bracket i mod brackets.
// Pure logic: the engine runs the jobs, journals the decisions and replays them on resume.
import { Args } from '../components/args.js';
import { ClaraError } from '../util/errors.js';
import type { Place } from './controllers/base.js';

export const ASHA_ARGS = ['min_epochs', 'max_epochs', 'reduction_factor', 'brackets'];

export interface RungJob {
  /** Recommendation id of the configuration. */
  trial: number;
  /** Index into `rungs`. */
  rung: number;
  /** Train until this epoch (rungs[rung]). */
  epochs: number;
  /** False for the first rung of the trial's bracket (a fresh job); true for a promotion (continues from its checkpoint). */
  promoted: boolean;
}

interface Trial {
  id: number;
  bracket: number;
  /** rung index → score at that rung. */
  scores: Map<number, number>;
  /** Rung being run (promotion decided, no result yet). */
  running?: number;
  /** Its last job failed: never promoted. */
  dead?: boolean;
}

export class AshaScheduler {
  readonly minEpochs: number;
  readonly maxEpochs: number;
  readonly eta: number;
  readonly brackets: number;
  /** Rung epochs, rising; the last is max_epochs. */
  readonly rungs: number[];
  private readonly trials = new Map<number, Trial>();

  constructor(args: Record<string, unknown>, place: Place, defaults: { maxEpochs: number }, name = 'ASHA') {
    const r = new Args(args, place).allow(ASHA_ARGS, name);
    this.maxEpochs = r.num('max_epochs', defaults.maxEpochs, { int: true, min: 1 });
    this.minEpochs = r.num('min_epochs', 1, { int: true, min: 1 });
    this.eta = r.num('reduction_factor', 3, { min: 2 });
    if (this.minEpochs >= this.maxEpochs) {
      throw new ClaraError(`min_epochs (${this.minEpochs}) must be below max_epochs (${this.maxEpochs}), or there is nothing to halve`, r.place('min_epochs'));
    }
    this.rungs = rungEpochs(this.minEpochs, this.eta, this.maxEpochs);
    this.brackets = r.num('brackets', name === 'Hyperband' ? this.rungs.length - 1 : 1, { int: true, min: 1 });
    if (this.brackets > this.rungs.length - 1) {
      throw new ClaraError(
        `brackets (${this.brackets}) must be at most ${this.rungs.length - 1}: a bracket starts at a rung below max_epochs, and the rungs are ${this.rungs.join(', ')} epochs`,
        r.place('brackets'),
      );
    }
  }

  /** The first job of a new configuration; its bracket is assigned here (in turn). */
  start(trial: number): RungJob {
    let t = this.trials.get(trial);
    if (!t) {
      // By id, not by arrival, so that a resumed search puts every trial in the same bracket.
      t = { id: trial, bracket: trial % this.brackets, scores: new Map() };
      this.trials.set(trial, t);
    }
    t.running = t.bracket;
    t.dead = false;
    return { trial, rung: t.bracket, epochs: this.rungs[t.bracket], promoted: false };
  }

  /** A job of `trial` ended: its score at `rung`, or undefined when it failed (the trial is not promoted again). */
  report(trial: number, rung: number, score: number | undefined): void {
    const t = this.trials.get(trial);
    if (!t) throw new Error(`ASHA: a result for trial ${trial}, which never started`);
    if (t.running === rung) t.running = undefined;
    // A failed job counts in its rung as the worst result (so the rung fills), and its trial stops.
    if (score === undefined || !Number.isFinite(score)) {
      t.dead = true;
      t.scores.set(rung, -Infinity);
    } else t.scores.set(rung, score);
  }

  /** A job ended without a result that counts (stopped by the user): it may run again. */
  abandon(trial: number, rung: number): void {
    const t = this.trials.get(trial);
    if (t && t.running === rung) t.running = undefined;
  }

  /**
   * The promotion to run on a free worker, if any. `final`: no new configuration can come, so
   * brackets without a trial at max_epochs take their best trial up (one at a time).
   */
  nextPromotion(final: boolean, peek = false): RungJob | undefined {
    const top = this.rungs.length - 1;
    for (let k = top - 1; k >= 0; k--) {
      for (let b = 0; b <= Math.min(k, this.brackets - 1); b++) {
        const cand = this.promotable(k, b);
        if (cand) return this.promote(cand, k + 1, peek);
      }
    }
    if (!final) return undefined;
    for (let b = 0; b < this.brackets; b++) {
      const ts = [...this.trials.values()].filter((t) => t.bracket === b);
      if (ts.some((t) => t.running !== undefined || t.scores.has(top))) continue;
      for (let k = top - 1; k >= b; k--) {
        const best = ts.filter((t) => !t.dead && highest(t) === k).sort((x, y) => y.scores.get(k)! - x.scores.get(k)!)[0];
        if (best) return this.promote(best, k + 1, peek);
      }
    }
    return undefined;
  }

  /** Marks `promotion` as running again (a promotion that was running when the search was killed). */
  resumePromotion(trial: number, rung: number): RungJob {
    const t = this.trials.get(trial);
    if (!t) throw new Error(`ASHA: cannot resume a promotion of trial ${trial}, which never started`);
    t.running = rung;
    return { trial, rung, epochs: this.rungs[rung], promoted: true };
  }

  /** `clara-train train` arguments of a rung job: the lr schedule runs over max_epochs; a promotion resumes from `last`. */
  trainArgs(j: RungJob): string[] {
    return [
      ...(j.promoted ? ['--resume'] : []),
      '--epochs',
      String(this.maxEpochs),
      ...(j.epochs < this.maxEpochs ? ['--stop-after-epoch', String(j.epochs)] : []),
    ];
  }

  /** True while some trial has a job running. */
  busy(): boolean {
    return [...this.trials.values()].some((t) => t.running !== undefined);
  }

  /** Scores per rung (rung epochs → [trial, score] best first), for logs and tests. */
  table(): { epochs: number; results: { trial: number; score: number }[] }[] {
    return this.rungs.map((epochs, k) => ({
      epochs,
      results: [...this.trials.values()]
        .filter((t) => t.scores.has(k))
        .map((t) => ({ trial: t.id, score: t.scores.get(k)! }))
        .sort((a, b) => b.score - a.score),
    }));
  }

  /** The rung index a trial's running job trains to, if any. */
  runningRung(trial: number): number | undefined {
    return this.trials.get(trial)?.running;
  }

  /** `peek`: say what would be promoted without deciding it. */
  private promote(t: Trial, rung: number, peek = false): RungJob {
    if (!peek) t.running = rung;
    return { trial: t.id, rung, epochs: this.rungs[rung], promoted: true };
  }

  /** ASHA's rule: the best trial among the top ⌊n/η⌋ of the n results at rung k of bracket b that has not gone further. */
  private promotable(k: number, b: number): Trial | undefined {
    const inRung = [...this.trials.values()].filter((t) => t.bracket === b && t.scores.has(k)).sort((x, y) => y.scores.get(k)! - x.scores.get(k)!);
    const n = Math.floor(inRung.length / this.eta);
    return inRung.slice(0, n).find((t) => !t.dead && t.running === undefined && highest(t) === k);
  }
}

/** The highest rung with a score, or -1. */
function highest(t: Trial): number {
  return Math.max(-1, ...t.scores.keys());
}

/** min·η^k while below max, then max. */
export function rungEpochs(min: number, eta: number, max: number): number[] {
  const out: number[] = [];
  for (let e = min; e < max; e = Math.max(e + 1, Math.round(e * eta))) out.push(Math.round(e));
  out.push(max);
  return out;
}
