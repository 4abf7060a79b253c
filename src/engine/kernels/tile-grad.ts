// Tile's gradient as one native pass (tfjs: one slice + add per repetition): the kernel
// ClaraTileGrad and the Tile gradient that calls it on the cpu backend for float32, rank <= 8.
import { defineGradient, defineKernel, f32, onNativeCpu, runKernel, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

const TILE_GRAD = 'ClaraTileGrad';

export const tileGradKernel = defineKernel<'dy' | 'x', { reps: number[] }>({
  name: TILE_GRAD,
  mode: 'add',
  run({ dy, x }, be, { reps }, k) {
    const dx = outputF32(sizeOf(x.shape)); // every element written (the first repetition copies)
    k.tileGradF32(Float64Array.from(x.shape), Float64Array.from(reps), f32(be, dy)!, dx);
    return be.makeTensorInfo(x.shape, 'float32', dx);
  },
});

export const tileGradient = defineGradient<{ reps: number[] }>({
  kernelName: 'Tile',
  grad: (dy, [x], { reps }) =>
    !Array.isArray(dy) && onNativeCpu([dy, x]) && x.rank <= 8 && reps.length === x.rank ? { x: () => runKernel(TILE_GRAD, { dy, x }, { reps }) } : undefined,
});
