// The model object the trainer, evaluator and inferers use.
import * as tf from '@tensorflow/tfjs';
import type { Layer, ParamStore } from './nn/params.js';

export interface SegModel {
  /** Architecture name (UNet, SegResNet). */
  readonly arch: string;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Spatial sizes must be multiples of these for the output to match the input size. */
  readonly sizeDivisor: [number, number, number];
  /** Named weights (MONAI state_dict names) and buffers. */
  readonly store: ParamStore;
  /** Logits [N, D, H, W, outChannels] for x [N, D, H, W, inChannels]. `training` enables dropout and batch statistics. */
  apply(x: tf.Tensor5D, training?: boolean): tf.Tensor5D;
  /** The trainable variables (for optimizers). */
  trainableVariables(): tf.Variable[];
  /** Trainable parameters by MONAI name: what a config's "#@model.parameters()" resolves to. */
  readonly trainableWeights: Map<string, tf.Variable>;
  /** The same map (PyTorch spelling). */
  parameters(): Map<string, tf.Variable>;
  /** Number of trainable scalars; equals MONAI's sum(p.numel()) for the same config. */
  paramCount(): number;
  /** The factory name and args that rebuild this model (saved with checkpoints). */
  spec?: { name: string; args: Record<string, unknown> };
  dispose(): void;
}

export function makeSegModel(
  arch: string,
  store: ParamStore,
  net: Layer,
  inChannels: number,
  outChannels: number,
  sizeDivisor: [number, number, number],
): SegModel {
  return {
    arch,
    inChannels,
    outChannels,
    sizeDivisor,
    store,
    apply(x, training = false) {
      if (x.rank !== 5 || x.shape[4] !== inChannels) {
        throw new Error(`${arch}: expected input [N, D, H, W, ${inChannels}], got [${x.shape}]`);
      }
      return net(x, training);
    },
    trainableVariables: () => store.trainable(),
    get trainableWeights() {
      return store.params;
    },
    parameters: () => store.params,
    paramCount: () => store.count(),
    dispose: () => store.dispose(),
  };
}
