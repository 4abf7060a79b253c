// tfjs 'AvgPool3DGrad': one native pass spreading each window's gradient over its inputs.
import { poolInfo, type Pool3DAttrs } from './conv-geometry.js';
import { defineKernel, f32, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const avgPool3dGradKernel = defineKernel<'dy' | 'input', Pool3DAttrs>({
  name: 'AvgPool3DGrad',
  mode: 'replace',
  run({ dy, input }, be, attrs, k) {
    const dv = f32(be, dy);
    if (!dv) return undefined;
    const { geom } = poolInfo(input.shape, attrs);
    const dx = outputF32(sizeOf(input.shape), true);
    k.avgPool3dGrad(dv, dx, geom);
    return be.makeTensorInfo(input.shape, 'float32', dx);
  },
});
