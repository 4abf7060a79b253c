// tfjs 'MaxPool3DGrad': each window's gradient to its last maximum, one native pass.
import { poolInfo, type Pool3DAttrs } from './conv-geometry.js';
import { defineKernel, f32, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const maxPool3dGradKernel = defineKernel<'dy' | 'input', Pool3DAttrs>({
  name: 'MaxPool3DGrad',
  mode: 'replace',
  run({ dy, input }, be, attrs, k) {
    const dv = f32(be, dy),
      xv = f32(be, input);
    if (!dv || !xv) return undefined;
    const { geom } = poolInfo(input.shape, attrs);
    const dx = outputF32(sizeOf(input.shape), true);
    k.maxPool3dGrad(xv, dv, dx, geom);
    return be.makeTensorInfo(input.shape, 'float32', dx);
  },
});
