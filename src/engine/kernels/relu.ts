// tfjs 'Relu' on float32: one native pass (other dtypes: tfjs's own).
import { defineKernel, f32 } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const reluKernel = defineKernel<'x'>({
  name: 'Relu',
  mode: 'replace',
  run({ x }, be, _attrs, k) {
    const xv = f32(be, x);
    if (!xv) return undefined;
    const y = outputF32(xv.length);
    k.reluF32(xv, y);
    return be.makeTensorInfo(x.shape, 'float32', y);
  },
});
