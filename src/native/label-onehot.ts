// Typed interface of the addon's label one-hot (native/kernels/label_onehot.cc) and its validated
// wrapper; the plain-TypeScript reference is test/references/label-onehot.ts.
import { native } from './loader.js';

export interface NativeLabelOneHot {
  /** out [n, depth] = one-hot of cast(round(label), 'int32') with tfjs's semantics. */
  labelOneHotF32(label: Float32Array, out: Float32Array, depth: number): void;
}

/** Float class labels [n] → one-hot [n, depth] (channels last), as tfjs's cast(round()) + oneHot. */
export function labelOneHot(label: Float32Array, depth: number): Float32Array {
  if (!(label instanceof Float32Array)) throw new TypeError('labelOneHot: label must be a Float32Array');
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`labelOneHot: depth must be a positive integer, got ${depth}`);
  const out = new Float32Array(label.length * depth);
  native().labelOneHotF32(label, out, depth);
  return out;
}
