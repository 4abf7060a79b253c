// Validation: every case through the inferer (whole volume or sliding window), argmax
// (or sigmoid > 0.5 for one output channel), per-case metrics, means over cases.
import * as tf from '@tensorflow/tfjs';
import type { CaseSource, InfererFn, Case } from './components.js';
import type { CaseMetric } from '../components/contracts.js';
import type { TrainableNetwork } from './network.js';
import { yieldToEventLoop } from '../util/yield.js';
import { spacingOf } from '../metrics/surface-distance.js';
import { diceOfClass } from '../metrics/dice.js';
import { MeanDice } from '../metrics/mean-dice.js';
import { logitsToLabels } from './logits-to-labels.js';

export interface EvaluationResult {
  /** Means over cases (NaN cases ignored), by metric name (key metric included). */
  metrics: Record<string, number>;
  /** case id → metric name → value. */
  perCase: Record<string, Record<string, number>>;
  cases: number;
}

export interface EvaluatorOptions {
  net: TrainableNetwork;
  inferer: InfererFn;
  cases: CaseSource;
  metrics: CaseMetric[];
  /** Called with each case's prediction (class indices, [D, H, W]) before it is freed: `infer` writes it. */
  onPrediction?: (c: Case, pred: Int32Array, shape: number[]) => void | Promise<void>;
  log?: (msg: string) => void;
}

export class Evaluator {
  constructor(private readonly o: EvaluatorOptions) {}

  get network(): TrainableNetwork {
    return this.o.net;
  }

  /** Whether the named metric is better when lower (surface distances). */
  lowerIsBetter(name: string): boolean {
    return this.o.metrics.find((m) => m.name === name)?.lowerIsBetter === true;
  }

  async run(): Promise<EvaluationResult> {
    const { net, inferer, metrics } = this.o;
    const perCase: Record<string, Record<string, number>> = {};
    const sums: Record<string, { s: number; n: number }> = Object.fromEntries(metrics.map((m) => [m.name, { s: 0, n: 0 }]));
    let count = 0;
    const forward = (x: tf.Tensor) => tf.tidy(() => net.apply(x, false));
    for await (const c of this.o.cases.cases()) {
      const logits = await inferer(c.image, forward);
      const k = logits.shape[logits.shape.length - 1] as number;
      const numClasses = k === 1 ? 2 : k;
      const { labels: pred, shape } = await logitsToLabels(logits);
      logits.dispose();
      await yieldToEventLoop();
      let id = c.id;
      for (let dup = 2; id in perCase; dup++) id = `${c.id}#${dup}`;
      perCase[id] = {};
      if (c.label) {
        const labT = tf.tidy(() => tf.cast(c.label!, 'int32'));
        const lab = (await labT.data()) as Int32Array;
        labT.dispose();
        if (lab.length !== pred.length)
          throw new Error(`case ${c.id}: prediction has ${pred.length} voxels, label ${lab.length} (the inferer changed the shape)`);
        for (const m of metrics) {
          const v = m.ofCase(pred, lab, numClasses, { shape, spacing: spacingOf(c.affine) });
          perCase[id][m.name] = v;
          if (Number.isFinite(v)) {
            sums[m.name].s += v;
            sums[m.name].n++;
          }
        }
      }
      await this.o.onPrediction?.(c, pred, shape);
      tf.dispose([c.image, c.label].filter((t): t is tf.Tensor => t !== undefined));
      count++;
    }
    const means = Object.fromEntries(Object.entries(sums).map(([k, { s, n }]) => [k, n > 0 ? s / n : NaN]));
    return { metrics: means, perCase, cases: count };
  }
}

/** MONAI's MeanDice on one case, empty ground truth ignored (the metrics area's MeanDice). */
export function meanDiceMetric(name = 'val_mean_dice', includeBackground = false): CaseMetric {
  return new MeanDice({ name, includeBackground });
}

/** Per-class Dice as its own metric (`val_dice_class1` ...). */
export function classDiceMetric(c: number, name = `val_dice_class${c}`): CaseMetric {
  return { name, ofCase: (pred, label) => diceOfClass(pred, label, c) };
}
