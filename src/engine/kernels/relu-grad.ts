// ReLU's gradient as one native pass, dy * step(x) (tfjs: two passes and a temporary): the
// kernel ClaraReluGrad and the Relu gradient that calls it on the cpu backend for float32
// (other backends and dtypes keep tfjs's gradient).
import { defineGradient, defineKernel, f32, onNativeCpu, runKernel, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

const RELU_GRAD = 'ClaraReluGrad';

export const reluGradKernel = defineKernel<'dy' | 'x'>({
  name: RELU_GRAD,
  mode: 'add',
  run({ dy, x }, be, _attrs, k) {
    const dx = outputF32(sizeOf(x.shape));
    k.reluGradF32(f32(be, dy)!, f32(be, x)!, dx);
    return be.makeTensorInfo(x.shape, 'float32', dx);
  },
});

export const reluGradient = defineGradient({
  kernelName: 'Relu',
  grad: (dy, [x]) => (!Array.isArray(dy) && onNativeCpu([dy, x]) ? { x: () => runKernel(RELU_GRAD, { dy, x }) } : undefined),
});
