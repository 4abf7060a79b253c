// tfjs 'SplitV': a channel-axis split (the gradient of a skip connection's concat) as one
// native pass writing every part; other axes as contiguous-run slices; bool via slices.
import * as tf from '@tensorflow/tfjs';
import { defineKernel, numeric, sizeOf } from './kernel.js';
import { sliceInfo } from './slice.js';
import { outputF32 } from '../output-pool.js';

export const splitVKernel = defineKernel<'x', { numOrSizeSplits: number | number[]; axis: number }>({
  name: 'SplitV',
  mode: 'replace',
  run({ x }, be, attrs, k) {
    const xv = numeric(be, x);
    if (!xv) return undefined;
    const ax = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, ax);
    if (ax === x.shape.length - 1 && !(xv instanceof Uint8Array) && x.shape.length > 0) {
      const rows = sizeOf(x.shape.slice(0, -1));
      // every element of every part is written: no zeroing
      const parts = sizes.map((w) => (xv instanceof Float32Array ? outputF32(rows * w) : new Int32Array(rows * w)));
      k.splitLast4(xv, rows, parts);
      return parts.map((p, i) => be.makeTensorInfo([...x.shape.slice(0, -1), sizes[i]], x.dtype, p));
    }
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[ax] = s;
      const t = sliceInfo(x, be, [...begin], size)!;
      begin[ax] += s;
      return t;
    });
  },
});
