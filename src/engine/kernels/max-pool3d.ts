// tfjs 'MaxPool3D' (NDHWC, float32): the native max pooling pass (NCDHW: tfjs's own).
import { poolInfo, type Pool3DAttrs } from './conv-geometry.js';
import { defineKernel, f32, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const maxPool3dKernel = defineKernel<'x', Pool3DAttrs>({
  name: 'MaxPool3D',
  mode: 'replace',
  run({ x }, be, attrs, k) {
    const xv = f32(be, x);
    if ((attrs.dataFormat && attrs.dataFormat !== 'NDHWC') || !xv) return undefined;
    const { info, geom } = poolInfo(x.shape, attrs);
    const y = outputF32(sizeOf(info.outShape), true);
    k.maxPool3d(xv, y, geom);
    return be.makeTensorInfo(info.outShape, 'float32', y);
  },
});
