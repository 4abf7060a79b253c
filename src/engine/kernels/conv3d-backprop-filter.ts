// tfjs 'Conv3DBackpropFilterV2' (the filter gradient): the native filter-gradient pass.
import { ampEnabled } from '../amp.js';
import { CONV_AMP } from '../../native/kernels.js';
import { convInfo, type Conv3DAttrs } from './conv-geometry.js';
import { defineKernel, f32, sizeOf } from './kernel.js';

export const conv3dBackpropFilterKernel = defineKernel<'x' | 'dy', Conv3DAttrs & { filterShape: number[] }>({
  name: 'Conv3DBackpropFilterV2',
  mode: 'replace',
  run({ x, dy }, be, attrs, k) {
    const xv = f32(be, x),
      dv = f32(be, dy);
    if (!xv || !dv) return undefined;
    const { geom } = convInfo(x.shape, attrs.filterShape, attrs);
    const dw = new Float32Array(sizeOf(attrs.filterShape));
    k.conv3dBackpropFilter(xv, dv, dw, geom, ampEnabled() && CONV_AMP);
    return be.makeTensorInfo(attrs.filterShape, 'float32', dw);
  },
});
