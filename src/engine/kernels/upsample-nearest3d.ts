// ClaraUpsampleNearest3D: nearest 3D upsampling of an NDHWC float32 tensor by integer factors
// (attrs.size) in one native pass, and its gradient (ClaraUpsampleNearest3DGrad: block sums).
// engine/ops/js-ops.ts nearestUpsample runs it while it is registered, loops otherwise.
import { defineGradient, defineKernel, f32, runKernel, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const UPSAMPLE_NEAREST3D = 'ClaraUpsampleNearest3D';
export const UPSAMPLE_NEAREST3D_GRAD = 'ClaraUpsampleNearest3DGrad';

interface UpsampleAttrs {
  size: [number, number, number];
}

export const upsampleNearest3dKernel = defineKernel<'x', UpsampleAttrs>({
  name: UPSAMPLE_NEAREST3D,
  mode: 'add',
  run({ x }, be, { size: s }, k) {
    const [n, d, h, w, c] = x.shape;
    const shape = [n, d * s[0], h * s[1], w * s[2], c];
    const y = outputF32(sizeOf(shape)); // every element written
    k.upsampleNearest3dF32(f32(be, x)!, y, n, d, h, w, c, s[0], s[1], s[2]);
    return be.makeTensorInfo(shape, 'float32', y);
  },
});

export const upsampleNearest3dGradKernel = defineKernel<'dy', UpsampleAttrs>({
  name: UPSAMPLE_NEAREST3D_GRAD,
  mode: 'add',
  run({ dy }, be, { size: s }, k) {
    const [n, od, oh, ow, c] = dy.shape;
    const shape = [n, od / s[0], oh / s[1], ow / s[2], c];
    const dx = outputF32(sizeOf(shape)); // every element written (the first block row copies)
    k.upsampleNearest3dGradF32(f32(be, dy)!, dx, n, shape[1], shape[2], shape[3], c, s[0], s[1], s[2]);
    return be.makeTensorInfo(shape, 'float32', dx);
  },
});

/** The gradient of the custom kernel (tfjs has none to fall back to). */
export const upsampleNearest3dGradient = defineGradient<UpsampleAttrs>({
  kernelName: UPSAMPLE_NEAREST3D,
  grad: (dy, _saved, { size }) => ({ x: () => runKernel(UPSAMPLE_NEAREST3D_GRAD, { dy: Array.isArray(dy) ? dy[0] : dy }, { size }) }),
});
