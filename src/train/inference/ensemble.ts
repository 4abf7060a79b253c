// Ensembles and test-time augmentation: the mean of the members' probabilities (softmax,
// or sigmoid for one output channel) over every member and, with TTA, over the 8 mirror
// images of the input (each spatial axis flipped or not; each output flipped back), as
// nnU-Net's mirroring. Each member runs its own inferer (sliding window with Gaussian
// blending as configured).
import * as tf from '@tensorflow/tfjs';
import type { InfererFn } from '../components.js';
import type { TrainableNetwork } from '../network.js';

export interface EnsembleMember {
  net: TrainableNetwork;
  inferer: InfererFn;
  activation: 'softmax' | 'sigmoid';
  /** Where it came from (for logs). */
  name?: string;
}

/** The spatial axis sets to mirror an NDHWC input over: [[]] without TTA, all 8 subsets of {1, 2, 3} with it. */
export function mirrorAxes(tta: boolean): number[][] {
  if (!tta) return [[]];
  const out: number[][] = [];
  for (let m = 0; m < 8; m++) out.push([1, 2, 3].filter((_, i) => m & (1 << i)));
  return out;
}

/** Mean probabilities [1, D, H, W, K] of the members (× mirrors) for one image [1, D, H, W, C]. */
export async function ensembleProbabilities(image: tf.Tensor, members: EnsembleMember[], tta: boolean): Promise<tf.Tensor> {
  if (members.length === 0) throw new Error('an ensemble needs at least one model');
  let sum: tf.Tensor | undefined;
  let n = 0;
  for (const m of members) {
    const forward = (x: tf.Tensor) => tf.tidy(() => m.net.apply(x, false));
    for (const axes of mirrorAxes(tta)) {
      const x = axes.length ? tf.reverse(image, axes) : image;
      const logits = await m.inferer(x, forward);
      if (axes.length) x.dispose();
      const p = tf.tidy(() => {
        const q = m.activation === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits, -1);
        return axes.length ? tf.reverse(q, axes) : q;
      });
      logits.dispose();
      if (sum && sum.shape.join(',') !== p.shape.join(','))
        throw new Error(`ensemble members disagree on the output shape: [${sum.shape}] vs [${p.shape}]${m.name ? ` (${m.name})` : ''}`);
      const next: tf.Tensor = sum ? tf.add(sum, p) : p;
      if (sum) {
        sum.dispose();
        p.dispose();
      }
      sum = next;
      n++;
    }
  }
  const mean = tf.div(sum!, n);
  sum!.dispose();
  return mean;
}

/** An inferer for the Evaluator: the ensemble's mean probabilities in a form whose argmax (or > 0 for one
 *  channel) gives the ensemble's labels. The evaluator's own network is not used. */
export function ensembleInferer(members: EnsembleMember[], tta: boolean): InfererFn {
  return async (image) => {
    const p = await ensembleProbabilities(image, members, tta);
    if (p.shape[p.rank - 1] !== 1) return p;
    const shifted = tf.sub(p, 0.5);
    p.dispose();
    return shifted;
  };
}
