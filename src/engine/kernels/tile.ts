// tfjs 'Tile' as contiguous-run copies (../strided-copy.ts): float32, int32 and bool.
import { alloc, defineKernel, numeric, sizeOf } from './kernel.js';
import { tileCopy } from '../strided-copy.js';

export const tileKernel = defineKernel<'x', { reps: number[] }>({
  name: 'Tile',
  mode: 'replace',
  run({ x }, be, { reps }) {
    const xv = numeric(be, x);
    if (!xv || reps.length !== x.shape.length) return undefined;
    const shape = x.shape.map((s, i) => s * reps[i]);
    const out = alloc(xv, sizeOf(shape));
    tileCopy(xv, x.shape, reps, out);
    return be.makeTensorInfo(shape, x.dtype, out);
  },
});
