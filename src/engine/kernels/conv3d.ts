// tfjs 'Conv3D' (NDHWC, float32, no dilation): the native forward pass, bf16 inputs and
// weights with fp32 accumulation while AMP is on (dilation: tfjs's own).
import { ampEnabled } from '../amp.js';
import { CONV_AMP } from '../../native/kernels.js';
import { convInfo, type Conv3DAttrs } from './conv-geometry.js';
import { defineKernel, f32, noDilation, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const conv3dKernel = defineKernel<'x' | 'filter', Conv3DAttrs>({
  name: 'Conv3D',
  mode: 'replace',
  run({ x, filter }, be, attrs, k) {
    const xv = f32(be, x),
      wv = f32(be, filter);
    if (!noDilation(attrs.dilations) || !xv || !wv) return undefined;
    const { info, geom } = convInfo(x.shape, filter.shape, attrs);
    const y = outputF32(sizeOf(info.outShape), true);
    k.conv3dForward(xv, wv, y, geom, ampEnabled() && CONV_AMP);
    return be.makeTensorInfo(info.outShape, 'float32', y);
  },
});
