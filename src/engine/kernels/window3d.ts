// ClaraWindow3d: a spatial window of an NDHWC float32 tensor with zero fill, in one native pass:
// y[b, i, j, k, :] = x[b, i + b0, j + b1, k + b2, :] inside x, 0 outside (offsets may be negative).
// A transposed convolution's crop of `padding` followed by the end padding of `output_padding`
// (tfjs: Slice then PadV2, and PadV2 then Slice in the gradient) becomes one kernel forward and
// one backward: the window's adjoint is the window of dy at the negated offsets with x's size.
// models/nn/conv.ts runs it through window3d while it is registered on the current backend.
import * as tf from '@tensorflow/tfjs';
import type { Tensor, Tensor5D } from '@tensorflow/tfjs';
import { defineGradient, defineKernel, f32, f32Backed, runKernel, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

const WINDOW3D = 'ClaraWindow3d';

interface WindowAttrs {
  /** Offsets of the window in x (d, h, w). */
  begin: [number, number, number];
  /** The output's spatial size (d, h, w). */
  size: [number, number, number];
}

export const window3dKernel = defineKernel<'x', WindowAttrs>({
  name: WINDOW3D,
  mode: 'add',
  run({ x }, be, { begin, size }, k) {
    const [n, d, h, w, c] = x.shape;
    const shape = [n, size[0], size[1], size[2], c];
    const y = outputF32(sizeOf(shape)); // written in full
    k.window3d4(f32(be, x)!, y, n, d, h, w, c, size[0], size[1], size[2], begin[0], begin[1], begin[2]);
    return be.makeTensorInfo(shape, 'float32', y);
  },
});

export const window3dGradient = defineGradient<WindowAttrs>({
  kernelName: WINDOW3D,
  inputsToSave: ['x'],
  grad: (dy, [x], { begin }) => {
    const [, d, h, w] = x.shape;
    const back: WindowAttrs = { begin: [-begin[0], -begin[1], -begin[2]], size: [d, h, w] };
    return { x: () => runKernel(WINDOW3D, { x: dy as Tensor }, back) };
  },
});

/**
 * The window of x [N, D, H, W, C] at spatial offsets `begin` (may be negative) with spatial size
 * `size`, zero where it leaves x; undefined where the kernel is not registered on the current
 * backend or x is not a Float32Array on it.
 */
export function window3d(x: Tensor5D, begin: [number, number, number], size: [number, number, number]): Tensor5D | undefined {
  if (!tf.getKernel(WINDOW3D, tf.getBackend()) || !f32Backed(x)) return undefined;
  if ([...begin, ...size].some((v) => !Number.isInteger(v)) || size.some((v) => v < 0))
    throw new RangeError(`window3d: begin must be integers and size non-negative integers, got begin [${begin}], size [${size}]`);
  return runKernel(WINDOW3D, { x }, { begin, size }) as Tensor5D;
}
