// The plain shapes the Trainer and Evaluator run on. The config builder
// (build-setup.ts) turns an MMAR's components into these; tests may build them directly.
import type * as tf from '@tensorflow/tfjs';
import type { Affine } from '../io/volume.js';

/** A training batch, NDHWC (N = batch_size × num_samples). */
export interface Batch {
  image: tf.Tensor;
  label: tf.Tensor;
}

export interface BatchSource {
  /** The batches of one epoch (0-based index); the source reshuffles with its seeded RNG. */
  epoch(epochIndex: number): AsyncIterable<Batch>;
  /** Batches per epoch, when known (for the progress line). */
  batchesPerEpoch?(): number | undefined;
  /** SmartCache: swaps in replacements between epochs. */
  updateCache?(): void | Promise<void>;
  shutdown?(): void | Promise<void>;
}

/** A whole case for validation or inference: image [1, D, H, W, C], label [1, D, H, W, 1] when known. */
export interface Case {
  id: string;
  image: tf.Tensor;
  label?: tf.Tensor;
  /** Geometry of `image` after the pre-transforms (for writing outputs). */
  affine?: Affine;
  /** Source image file. */
  file?: string;
  /** Geometry of the source image as loaded (infer writes its output on this grid). */
  originalAffine?: Affine;
  originalShape?: number[];
}

export interface CaseSource {
  cases(): AsyncIterable<Case>;
  length?(): number | undefined;
  shutdown?(): void | Promise<void>;
}

/** logits [N, D, H, W, C], label [N, D, H, W, 1] (class indices) → scalar loss. */
export type LossFn = (logits: tf.Tensor, label: tf.Tensor) => tf.Scalar;

/** Runs the network over a whole case: image [1, D, H, W, C] → logits [1, D, H, W, K]. */
export type InfererFn = (image: tf.Tensor, net: (x: tf.Tensor) => tf.Tensor) => tf.Tensor | Promise<tf.Tensor>;

/** Learning rate for an epoch (0-based) and iteration within the run. */
export interface LrSchedule {
  lr(epoch: number, globalStep: number, stepsPerEpoch: number, totalEpochs: number): number;
  /** Changes every iteration (else once per epoch). */
  perIteration?: boolean;
}

export interface OptimizerLike {
  /** tf.Optimizer's (it takes a variable-name → gradient map). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  applyGradients(grads: any): void;
  getWeights(): Promise<NamedTensor[]>;
  setWeights(w: NamedTensor[]): Promise<void>;
  dispose?(): void;
}

/** A tensor with a name (tfjs's NamedTensor, which the tfjs package does not re-export). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}
