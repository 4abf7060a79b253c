// Test helper: conv / pool geometries computed by tfjs's own backend_util.
import * as tf from '@tensorflow/tfjs';
import { convGeomFromInfo, poolGeomFromInfo, type Conv3DGeometry, type Pool3DGeometry } from '../../src/native/kernels.js';
import { Rng } from '../../src/util/random.js';

export function convGeometry(x: number[], f: number[], stride: number | [number, number, number], pad: 'same' | 'valid'): Conv3DGeometry {
  const ci = tf.backend_util.computeConv3DInfo(x as never, f as never, stride as never, 1, pad);
  return convGeomFromInfo(ci);
}

export function poolGeometry(x: number[], size: number, stride: number, pad: 'same' | 'valid'): Pool3DGeometry {
  const ci = tf.backend_util.computePool3DInfo(x as never, size, stride, 1, pad);
  return poolGeomFromInfo(ci);
}

export function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** max |a-b| / max(1, max |b|). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let e = 0,
    m = 0;
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return e / Math.max(1, m);
}

/** Odd shapes, stride 2, channel counts that are not multiples of 8, batch > 1. */
export const CONV_CASES: { x: number[]; k: number; cout: number; stride: number | [number, number, number]; pad: 'same' | 'valid' }[] = [
  { x: [2, 5, 7, 6, 3], k: 3, cout: 5, stride: 1, pad: 'same' },
  { x: [2, 9, 8, 7, 5], k: 3, cout: 17, stride: 2, pad: 'same' },
  { x: [1, 7, 6, 9, 9], k: 3, cout: 33, stride: 1, pad: 'valid' },
  { x: [3, 7, 7, 7, 4], k: 2, cout: 6, stride: 2, pad: 'valid' },
  { x: [1, 6, 5, 11, 1], k: 3, cout: 8, stride: [1, 2, 1], pad: 'same' },
  { x: [2, 4, 4, 4, 20], k: 1, cout: 19, stride: 1, pad: 'same' },
  // small channel counts: pointwise (1×1×1, fewer than 8 channels on a side) and
  // one-input-channel 3×3×3 filter gradients run special kernels
  { x: [2, 5, 4, 6, 16], k: 1, cout: 2, stride: 1, pad: 'same' },
  { x: [1, 3, 4, 5, 3], k: 1, cout: 12, stride: 1, pad: 'valid' },
  { x: [2, 5, 6, 7, 8], k: 1, cout: 2, stride: 1, pad: 'same' },
  { x: [1, 3, 5, 7, 4], k: 1, cout: 3, stride: 1, pad: 'same' },
  { x: [2, 7, 6, 9, 1], k: 3, cout: 20, stride: 2, pad: 'same' },
  { x: [1, 5, 6, 7, 1], k: 3, cout: 16, stride: 1, pad: 'valid' },
  // strided input gradients run by phases: stride 3, an even filter at stride 2
  { x: [1, 10, 9, 11, 5], k: 3, cout: 7, stride: 3, pad: 'same' },
  { x: [2, 9, 8, 10, 3], k: 4, cout: 18, stride: 2, pad: 'same' },
  // rows wider than one register tile (border tiles on both sides, broadcast-sharing tiles
  // for stride 1 and 2 with 16/32 channels, width-2 filters), odd sizes, batch 2
  { x: [2, 3, 4, 37, 16], k: 3, cout: 16, stride: 1, pad: 'same' },
  { x: [1, 4, 3, 35, 32], k: 3, cout: 32, stride: 2, pad: 'same' },
  { x: [2, 3, 3, 33, 13], k: 2, cout: 21, stride: 1, pad: 'valid' },
  { x: [1, 5, 4, 29, 16], k: 3, cout: 32, stride: 2, pad: 'valid' },
  // channel-pair tiles (8 or fewer output channels, even input channels; the filter
  // gradient at stride 1 with three width taps): wide rows, stride 2, a width-2 filter
  { x: [2, 4, 5, 35, 8], k: 3, cout: 8, stride: 1, pad: 'same' },
  { x: [1, 4, 5, 19, 24], k: 3, cout: 8, stride: 1, pad: 'same' },
  { x: [1, 4, 4, 33, 8], k: 3, cout: 16, stride: 1, pad: 'same' },
  { x: [2, 6, 5, 23, 6], k: 3, cout: 5, stride: 2, pad: 'same' },
  { x: [1, 5, 5, 17, 10], k: 2, cout: 7, stride: 1, pad: 'valid' },
  { x: [1, 4, 3, 21, 12], k: 3, cout: 3, stride: 1, pad: 'valid' },
  { x: [1, 4, 5, 27, 8], k: 3, cout: 24, stride: 1, pad: 'same' },
  { x: [1, 5, 4, 22, 24], k: 3, cout: 8, stride: 1, pad: 'valid' },
  { x: [2, 5, 6, 29, 1], k: 3, cout: 8, stride: 1, pad: 'same' },
  { x: [1, 4, 5, 26, 1], k: 3, cout: 5, stride: 1, pad: 'valid' },
  // the planar kernels (filter gradient: 2-8 input channels, cin * cout <= 16; forward: <= 4
  // output channels; stride-1 input gradient: <= 4 input channels): a 2-class head on rows of
  // two 64-pixel groups, width stride 2
  { x: [2, 4, 5, 69, 2], k: 3, cout: 2, stride: 1, pad: 'same' },
  { x: [1, 5, 6, 21, 4], k: 3, cout: 4, stride: [2, 1, 2], pad: 'valid' },
];
