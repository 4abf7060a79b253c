// tfjs 'Slice' as contiguous-run copies (../strided-copy.ts) instead of tfjs's per-element
// index arithmetic: float32, int32 and bool.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { sliceCopy } from '../strided-copy.js';
import { alloc, defineKernel, numeric, sizeOf, type CpuBackendLike } from './kernel.js';

/** x[begin : begin+size] as a new tensor of the backend; undefined for other dtypes. */
export function sliceInfo(x: TensorInfo, be: CpuBackendLike, begin: number | number[], size: number | number[]): TensorInfo | undefined {
  const xv = numeric(be, x);
  if (!xv) return undefined;
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
  const out = alloc(xv, sizeOf(s));
  sliceCopy(xv, x.shape, b, s, out);
  return be.makeTensorInfo(s, x.dtype, out);
}

export const sliceKernel = defineKernel<'x', { begin: number | number[]; size: number | number[] }>({
  name: 'Slice',
  mode: 'replace',
  run: ({ x }, be, attrs) => sliceInfo(x, be, attrs.begin, attrs.size),
});
