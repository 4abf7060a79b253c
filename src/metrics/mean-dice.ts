// monai.metrics.DiceMetric with MONAI's reduction: per case and class, Dice = 2|P∩G| / (|P| + |G|);
// an empty ground truth gives NaN (ignore_empty, the default) which is left out of the means;
// "mean" averages each case over its counted classes, then over the cases with any counted class.
import * as tf from '@tensorflow/tfjs';
import { type DiscretizeOptions, toIndices } from './discretize.js';
import type { Metric } from './metric.js';
import type { CaseMetric } from '../components/contracts.js';
import { diceOfClass } from './dice.js';

export type MetricReduction = 'mean' | 'sum' | 'mean_batch' | 'sum_batch' | 'mean_channel' | 'sum_channel' | 'none';

export interface MeanDiceOptions extends DiscretizeOptions {
  name?: string;
  includeBackground?: boolean;
  ignoreEmpty?: boolean;
  /** Number of classes; default: the prediction's channel count (must be given for index predictions). */
  numClasses?: number;
}

/** Per-case, per-class Dice [N][classes] for index volumes [N, ...] (NaN where ignored). */
export function diceTable(predIdx: tf.Tensor, labelIdx: tf.Tensor, classes: number[], ignoreEmpty: boolean): number[][] {
  const P = predIdx.dataSync(),
    Y = labelIdx.dataSync();
  const n = predIdx.shape[0],
    per = n ? P.length / n : 0;
  return Array.from({ length: n }, (_, b) => {
    const p = P.subarray(b * per, (b + 1) * per),
      y = Y.subarray(b * per, (b + 1) * per);
    return classes.map((c) => diceOfClass(p, y, c, ignoreEmpty));
  });
}

/** MONAI's do_metric_reduction for the scalar reductions and the per-class ones. */
export function reduceMetric(f: number[][], reduction: MetricReduction): number | number[] | number[][] {
  const nanmean = (xs: number[]) => {
    const ok = xs.filter((x) => !Number.isNaN(x));
    return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
  };
  const nansum = (xs: number[]) => xs.filter((x) => !Number.isNaN(x)).reduce((a, b) => a + b, 0);
  const cols = f.length ? f[0].map((_, c) => f.map((r) => r[c])) : [];
  switch (reduction) {
    case 'none':
      return f;
    case 'mean': {
      const perCase = f.map(nanmean).filter((x) => !Number.isNaN(x));
      return perCase.length ? perCase.reduce((a, b) => a + b, 0) / perCase.length : 0;
    }
    case 'sum':
      return f.reduce((a, r) => a + nansum(r), 0);
    case 'mean_batch':
      return cols.map((c) => {
        const m = nanmean(c);
        return Number.isNaN(m) ? 0 : m;
      });
    case 'sum_batch':
      return cols.map(nansum);
    case 'mean_channel':
      return f.map((r) => {
        const m = nanmean(r);
        return Number.isNaN(m) ? 0 : m;
      });
    case 'sum_channel':
      return f.map(nansum);
  }
}

export class MeanDice implements Metric, CaseMetric {
  readonly name: string;
  private rows: number[][] = [];

  constructor(private readonly o: MeanDiceOptions = {}) {
    this.name = o.name ?? 'val_mean_dice';
  }

  reset(): void {
    this.rows = [];
  }

  update(pred: tf.Tensor, label: tf.Tensor): number[][] {
    const c = pred.shape[pred.rank - 1];
    // MONAI: classes first..C-1 for multi-channel predictions; only class 1 for a single channel.
    const n = this.o.numClasses ?? c;
    const first = (this.o.includeBackground ?? true) ? 0 : 1;
    const classes = n > 1 ? Array.from({ length: n - first }, (_, i) => i + first) : [1];
    const p = toIndices(pred, this.o);
    const y = toIndices(label);
    try {
      if (p.shape.join(',') !== y.shape.join(','))
        throw new Error(`MeanDice: prediction [${pred.shape}] and label [${label.shape}] do not cover the same voxels`);
      const rows = diceTable(p, y, classes, this.o.ignoreEmpty ?? true);
      this.rows.push(...rows);
      return rows;
    } finally {
      tf.dispose([p, y]);
    }
  }

  compute(): number {
    return this.rows.length ? (reduceMetric(this.rows, 'mean') as number) : NaN;
  }

  /** One case's mean Dice over its counted classes (background from 0 unless excluded; NaN when none counted). */
  ofCase(pred: Int32Array, label: Int32Array, numClasses: number): number {
    let s = 0,
      n = 0;
    for (let c = (this.o.includeBackground ?? true) ? 0 : 1; c < (this.o.numClasses ?? numClasses); c++) {
      const d = diceOfClass(pred, label, c, this.o.ignoreEmpty ?? true);
      if (!Number.isNaN(d)) {
        s += d;
        n++;
      }
    }
    return n > 0 ? s / n : NaN;
  }

  /** Mean per class over the cases where it counted (MONAI's mean_batch). */
  perClass(): number[] {
    return reduceMetric(this.rows, 'mean_batch') as number[];
  }

  perCase(): number[][] {
    return this.rows.map((r) => [...r]);
  }
}
