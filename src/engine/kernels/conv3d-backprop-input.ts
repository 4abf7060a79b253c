// tfjs 'Conv3DBackpropInputV2' (the input gradient; also a transposed convolution's forward):
// the native input-gradient pass.
import { ampEnabled } from '../amp.js';
import { CONV_AMP } from '../../native/kernels.js';
import { convInfo, type Conv3DAttrs } from './conv-geometry.js';
import { defineKernel, f32, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const conv3dBackpropInputKernel = defineKernel<'dy' | 'filter', Conv3DAttrs & { inputShape: number[] }>({
  name: 'Conv3DBackpropInputV2',
  mode: 'replace',
  run({ dy, filter }, be, attrs, k) {
    const dv = f32(be, dy),
      wv = f32(be, filter);
    if (!dv || !wv) return undefined;
    const { info, geom } = convInfo(attrs.inputShape, filter.shape, attrs);
    const dx = outputF32(sizeOf(info.inShape), true);
    k.conv3dBackpropInput(dv, wv, dx, geom, ampEnabled() && CONV_AMP);
    return be.makeTensorInfo(info.inShape, 'float32', dx);
  },
});
