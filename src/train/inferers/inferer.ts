// Inferers run a predictor over a volume. Tensors are channels-last: input [N, D, H, W, Cin],
// predictor output [n, d, h, w, Cout] for a window [n, d, h, w, Cin].
import type * as tf from '@tensorflow/tfjs';
import type { Inferer as InfererContract } from '../../components/contracts.js';

export type Predictor = (x: tf.Tensor5D) => tf.Tensor5D;

export interface Inferer extends InfererContract {
  readonly name: string;
  infer(input: tf.Tensor5D, predict: Predictor): tf.Tensor5D;
}

/** SimpleInferer / TFSimpleInferer: the whole volume in one call. */
export class SimpleInferer implements Inferer {
  readonly name = 'SimpleInferer';
  infer(input: tf.Tensor5D, predict: Predictor): tf.Tensor5D {
    return predict(input);
  }
}
