// tfjs 'PadV2' (constant padding) of a float32 or int32 tensor, rank <= 8: the output filled
// with the constant, then the input copied into its interior by the addon's strided copy (a
// strided convolution with PyTorch's symmetric padding pads explicitly every step). tfjs's own
// computes every element's index; bool and rank > 8: tfjs's own.
import { collapseBroadcast } from '../../native/elementwise.js';
import { defineKernel, numeric, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

function strides(shape: readonly number[]): Float64Array {
  const s = new Float64Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export const padV2Kernel = defineKernel<'x', { paddings: [number, number][]; constantValue: number }>({
  name: 'PadV2',
  mode: 'replace',
  run({ x }, be, { paddings, constantValue }, k) {
    const xv = numeric(be, x);
    if (!xv || xv instanceof Uint8Array || x.shape.length > 8 || x.shape.length === 0) return undefined;
    const shape = x.shape.map((s, i) => paddings[i][0] + s + paddings[i][1]);
    const n = sizeOf(shape);
    const out = xv instanceof Float32Array ? outputF32(n, true) : new Int32Array(n);
    if (constantValue !== 0) out.fill(constantValue);
    if (xv.length === 0) return be.makeTensorInfo(shape, x.dtype, out);
    const os = strides(shape);
    const offset = paddings.reduce((a, p, i) => a + p[0] * os[i], 0);
    // unpadded inner axes merge into longer contiguous runs
    const c = collapseBroadcast(x.shape, strides(x.shape), os);
    k.stridedCopy4(c.shape, xv, 0, c.as, out, offset, c.bs);
    return be.makeTensorInfo(shape, x.dtype, out);
  },
});
