// tfjs 'Concat': along the channel axis (a skip connection) one native pass over the output
// rows; other axes as contiguous-run copies (../strided-copy.ts); mixed dtypes: tfjs's own.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { concatCopy, type NumArray } from '../strided-copy.js';
import { alloc, defineKernel, numeric, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const concatKernel = defineKernel<string, { axis: number }>({
  name: 'Concat',
  mode: 'replace',
  run(inputs, be, attrs, k) {
    const xs: TensorInfo[] = Object.values(inputs);
    if (xs.length === 0 || xs.some((t) => t.dtype !== xs[0].dtype)) return undefined;
    const vals: NumArray[] = [];
    for (const t of xs) {
      const v = numeric(be, t);
      if (!v) return undefined;
      vals.push(v);
    }
    const ax = tf.util.parseAxisParam(attrs.axis, xs[0].shape)[0];
    const shape = tf.backend_util.computeOutShape(
      xs.map((t) => t.shape),
      ax,
    );
    const v0 = vals[0];
    if (ax === shape.length - 1 && shape.length > 0 && !(v0 instanceof Uint8Array)) {
      const out = v0 instanceof Float32Array ? outputF32(sizeOf(shape)) : new Int32Array(sizeOf(shape));
      k.concatLast4(vals as (Float32Array | Int32Array)[], sizeOf(shape.slice(0, -1)), out);
      return be.makeTensorInfo(shape, xs[0].dtype, out);
    }
    const out = alloc(v0, sizeOf(shape));
    concatCopy(
      vals,
      xs.map((t) => t.shape),
      ax,
      out,
    );
    return be.makeTensorInfo(shape, xs[0].dtype, out);
  },
});
