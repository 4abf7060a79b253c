// Activations by MONAI's names (monai.networks.layers.Act), PyTorch semantics.
import * as tf from '@tensorflow/tfjs';
import type { Layer, ParamStore } from './params.js';
import { type LayerSpec, numArg } from './spec.js';

const ACT_NAMES = ['prelu', 'relu', 'leakyrelu', 'elu', 'selu', 'celu', 'sigmoid', 'tanh', 'gelu', 'swish', 'silu', 'mish', 'relu6', 'softplus'];

export function actLayer(store: ParamStore, name: string, spec: LayerSpec | null): Layer | null {
  if (!spec) return null;
  const f = actFn(store, name, spec);
  return (x) => f(x) as tf.Tensor5D;
}

/** torch.nn.PReLU's weight ([num_parameters], filled with init) as the parameter `${name}.weight`. */
export function preluAlpha(store: ParamStore, name: string, spec: LayerSpec): tf.Tensor {
  const what = `${name} (act ${spec.name})`;
  return store.constant(`${name}.weight`, [numArg(spec.args, 'num_parameters', 1, what)], numArg(spec.args, 'init', 0.25, what));
}

function actFn(store: ParamStore, name: string, spec: LayerSpec): (x: tf.Tensor5D) => tf.Tensor {
  const what = `${name} (act ${spec.name})`;
  switch (spec.name) {
    case 'prelu': {
      const a = preluAlpha(store, name, spec);
      const n = a.size;
      // a scalar alpha keeps tfjs-cpu's binary op on its fast (non-broadcasting) path
      const scalarShape: number[] = [];
      return (x) => {
        const alpha = n === 1 ? tf.reshape(a as tf.Tensor, scalarShape) : a;
        // on cpu-native, Prelu and its gradient are one native pass each (engine/kernels/prelu.ts)
        return tf.prelu(x as tf.Tensor, alpha);
      };
    }
    case 'relu':
      return (x) => tf.relu(x);
    case 'relu6':
      return (x) => tf.relu6(x);
    case 'leakyrelu': {
      const slope = numArg(spec.args, 'negative_slope', 0.01, what);
      return (x) => tf.leakyRelu(x, slope);
    }
    case 'elu': {
      const alpha = numArg(spec.args, 'alpha', 1, what);
      return (x) => (alpha === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.sub(tf.exp(x), 1))));
    }
    case 'celu': {
      const alpha = numArg(spec.args, 'alpha', 1, what);
      return (x) => tf.add(tf.relu(x), tf.minimum(0, tf.mul(alpha, tf.sub(tf.exp(tf.div(x, alpha)), 1))));
    }
    case 'selu':
      return (x) => tf.selu(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'softplus':
      return (x) => tf.softplus(x);
    case 'gelu':
      return (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    case 'swish':
    case 'silu':
      return (x) => tf.mul(x, tf.sigmoid(x));
    case 'mish':
      return (x) => tf.mul(x, tf.tanh(tf.softplus(x)));
    default:
      throw new Error(`${name}: unknown act '${spec.name}'; expected one of ${ACT_NAMES.join(', ')}`);
  }
}

/** Element-wise dropout (nn.Dropout) or channel dropout (nn.Dropout3d), seeded from the store. */
export function dropoutLayer(store: ParamStore, rate: number, channelWise: boolean): Layer | null {
  if (!(rate > 0)) return null;
  if (rate >= 1) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  return (x, training) => {
    if (!training) return x;
    const noise = channelWise ? [x.shape[0], 1, 1, 1, x.shape[4]] : undefined;
    return tf.dropout(x, rate, noise, store.nextDropoutSeed()) as tf.Tensor5D;
  };
}
