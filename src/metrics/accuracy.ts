// Voxel accuracy: the fraction of voxels whose predicted class equals the label's, over all
// voxels fed since reset() (what ignite's Accuracy gives on MONAI's discretised seg outputs).
import * as tf from '@tensorflow/tfjs';
import { type DiscretizeOptions, toIndices } from './discretize.js';
import type { Metric } from './metric.js';
import type { CaseMetric } from '../components/contracts.js';

export class Accuracy implements Metric, CaseMetric {
  readonly name: string;
  private correct = 0;
  private total = 0;
  private rows: number[][] = [];

  constructor(private readonly o: DiscretizeOptions & { name?: string } = {}) {
    this.name = o.name ?? 'val_acc';
  }

  reset(): void {
    this.correct = 0;
    this.total = 0;
    this.rows = [];
  }

  update(pred: tf.Tensor, label: tf.Tensor): number[][] {
    const p = toIndices(pred, this.o),
      y = toIndices(label);
    try {
      if (p.shape.join(',') !== y.shape.join(','))
        throw new Error(`Accuracy: prediction [${pred.shape}] and label [${label.shape}] do not cover the same voxels`);
      const eq = tf.tidy(() =>
        tf.sum(
          tf.equal(p, y).toFloat(),
          Array.from({ length: p.rank - 1 }, (_, i) => i + 1),
        ),
      );
      const perCase = Array.from(eq.dataSync());
      eq.dispose();
      const per = p.size / p.shape[0];
      const rows = perCase.map((c) => [c / per]);
      this.correct += perCase.reduce((a, b) => a + b, 0);
      this.total += p.size;
      this.rows.push(...rows);
      return rows;
    } finally {
      tf.dispose([p, y]);
    }
  }

  compute(): number {
    return this.total ? this.correct / this.total : NaN;
  }

  /** One case's voxel accuracy. */
  ofCase(pred: Int32Array, label: Int32Array): number {
    let ok = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === label[i]) ok++;
    return pred.length ? ok / pred.length : NaN;
  }

  perCase(): number[][] {
    return this.rows.map((r) => [...r]);
  }
}
