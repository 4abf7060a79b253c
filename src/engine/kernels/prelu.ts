// tfjs 'Prelu' on float32 as one native pass, and its gradient (tfjs: greater, two where, two
// mul, zerosLike, sum) as one native pass ClaraPreluGrad giving dx and dalpha together. Covers
// a shared alpha (one value) and a per-channel alpha over the last axis (shape [C] or
// [1, ..., 1, C], PyTorch's num_parameters = C on channels-last tensors); other broadcasts and
// dtypes run tfjs's own kernel and gradient.
import type { TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { defineGradient, defineKernel, f32, onNativeCpu, runKernelOutputs, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

const PRELU_GRAD = 'ClaraPreluGrad';

/** The channel count c of the [rows, c] view the kernel walks, or undefined where alpha's shape is not covered. */
function preluChannels(x: { shape: readonly number[] }, alpha: { shape: readonly number[] }): number | undefined {
  const na = sizeOf(alpha.shape);
  if (alpha.shape.length > x.shape.length || sizeOf(x.shape) === 0) return undefined;
  if (na === 1) return 1;
  const c = x.shape[x.shape.length - 1];
  if (na !== c) return undefined;
  return alpha.shape[alpha.shape.length - 1] === c ? c : undefined;
}

export const preluKernel = defineKernel<'x' | 'alpha'>({
  name: 'Prelu',
  mode: 'replace',
  run({ x, alpha }, be, _attrs, k) {
    const xv = f32(be, x),
      av = f32(be, alpha);
    const c = preluChannels(x, alpha);
    if (!xv || !av || c === undefined) return undefined;
    const y = outputF32(xv.length);
    k.preluF32(xv, av, y, c);
    return be.makeTensorInfo(x.shape, 'float32', y);
  },
});

export const preluGradKernel = defineKernel<'dy' | 'x' | 'alpha'>({
  name: PRELU_GRAD,
  mode: 'add',
  run({ dy, x, alpha }, be, _attrs, k) {
    const xv = f32(be, x)!;
    const dx = outputF32(xv.length),
      dalpha = new Float32Array(sizeOf(alpha.shape));
    k.preluGradF32(f32(be, dy)!, xv, f32(be, alpha)!, dx, dalpha, preluChannels(x, alpha)!);
    const out: TensorInfo[] = [be.makeTensorInfo(x.shape, 'float32', dx), be.makeTensorInfo(alpha.shape, 'float32', dalpha)];
    return out;
  },
});

export const preluGradient = defineGradient({
  kernelName: 'Prelu',
  grad: (dy, [x, alpha]) => {
    if (Array.isArray(dy) || !onNativeCpu([dy, x, alpha]) || preluChannels(x, alpha) === undefined) return undefined;
    if (!tf.util.arraysEqual(dy.shape, x.shape)) return undefined;
    // one kernel for both gradients, run here (outside the per-input tidies that would free the other)
    const [dx, dalpha] = runKernelOutputs(PRELU_GRAD, { dy, x, alpha });
    return { x: () => dx, alpha: () => dalpha };
  },
});
