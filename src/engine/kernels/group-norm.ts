// ClaraGroupNorm: instance / group / batch normalisation of an [S, V, C] float32 tensor in a few
// native passes (tfjs ops: about ten, plus as many in the gradient), with its gradient
// ClaraGroupNormGrad. Outputs [y, mean, variance] (mean and biased variance per (sample,
// group): batch norm's running statistics); only y carries a gradient. models/nn/norm.ts runs
// it through groupNorm3d while it is registered on the current backend, tensor ops otherwise.
import * as tf from '@tensorflow/tfjs';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs';
import { defineGradient, defineKernel, f32, f32Backed, runKernelOutputs, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

const GROUP_NORM = 'ClaraGroupNorm';
const GROUP_NORM_GRAD = 'ClaraGroupNormGrad';

/** x [S, ..., C] (rank >= 3) as the kernel's [S, V, C] view (no Reshape kernels around it). */
function view(shape: readonly number[]): [number, number, number] {
  const s = shape[0],
    c = shape[shape.length - 1];
  return [s, s * c > 0 ? sizeOf(shape) / (s * c) : 0, c];
}

interface NormAttrs {
  groups: number;
  eps: number;
  /** w and b are the affine parameters (otherwise placeholders, not read). */
  affine: boolean;
  /**
   * The layer's activation folded in: y = relu(norm(x)) or prelu(norm(x), alpha) in the same
   * pass (and its gradient in the gradient's); alpha is then an input ([1] or [C]).
   */
  act?: NormActName;
}

/** An activation the norm kernel folds in. */
type NormActName = 'relu' | 'prelu';
const ACT_CODE = { relu: 1, prelu: 2 } as const; // native/kernels/norm.h NormAct

export const groupNormKernel = defineKernel<'x' | 'w' | 'b' | 'alpha', NormAttrs>({
  name: GROUP_NORM,
  mode: 'add',
  run({ x, w, b, alpha }, be, { groups, eps, affine, act }, k) {
    const [s, v, c] = view(x.shape);
    const y = outputF32(s * v * c),
      mean = new Float32Array(s * groups),
      variance = new Float32Array(s * groups);
    k.groupNormF32(
      s,
      v,
      c,
      groups,
      eps,
      f32(be, x)!,
      affine ? f32(be, w)! : null,
      affine ? f32(be, b)! : null,
      y,
      mean,
      variance,
      act ? ACT_CODE[act] : 0,
      act === 'prelu' ? f32(be, alpha)! : null,
    );
    return [be.makeTensorInfo(x.shape, 'float32', y), be.makeTensorInfo([s, groups], 'float32', mean), be.makeTensorInfo([s, groups], 'float32', variance)];
  },
});

export const groupNormGradKernel = defineKernel<'dy' | 'x' | 'mean' | 'variance' | 'w' | 'b' | 'alpha', NormAttrs>({
  name: GROUP_NORM_GRAD,
  mode: 'add',
  run({ dy, x, mean, variance, w, b, alpha }, be, { groups, eps, affine, act }, k) {
    const [s, v, c] = view(x.shape);
    const dx = outputF32(s * v * c),
      dw = new Float32Array(c),
      db = new Float32Array(c),
      dalpha = new Float32Array(sizeOf(alpha.shape));
    k.groupNormGradF32(
      s,
      v,
      c,
      groups,
      eps,
      // dy may come from a Cast (integer values under float32): read it as float32
      f32(be, dy) ?? Float32Array.from(be.data.get(dy.dataId).values as ArrayLike<number>),
      f32(be, x)!,
      f32(be, mean)!,
      f32(be, variance)!,
      affine ? f32(be, w)! : null,
      dx,
      affine ? dw : null,
      affine ? db : null,
      affine ? f32(be, b)! : null,
      act ? ACT_CODE[act] : 0,
      act === 'prelu' ? f32(be, alpha)! : null,
      act === 'prelu' ? dalpha : null,
    );
    return [
      be.makeTensorInfo(x.shape, 'float32', dx),
      be.makeTensorInfo([c], 'float32', dw),
      be.makeTensorInfo([c], 'float32', db),
      be.makeTensorInfo(alpha.shape, 'float32', dalpha),
    ];
  },
});

export const groupNormGradient = defineGradient<NormAttrs>({
  kernelName: GROUP_NORM,
  inputsToSave: ['x', 'w', 'b', 'alpha'],
  outputsToSave: [false, true, true],
  grad: (dys, [x, w, b, alpha, mean, variance], attrs) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    // one kernel for all four gradients, run here (outside the per-input tidies that would free the others)
    const [dx, dw, db, dalpha] = runKernelOutputs(GROUP_NORM_GRAD, { dy, x, mean, variance, w, b, alpha }, attrs);
    return { x: () => dx, w: () => dw, b: () => db, alpha: () => dalpha };
  },
});

// The kernel's w and b inputs without an affine, and alpha without a PReLU (not read): one kept
// tensor per size and value instead of a Fill kernel each per call.
const placeholders = new Map<string, Tensor>();
function placeholder(c: number, value: number): Tensor {
  const key = `${c}:${value}`;
  let t = placeholders.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.fill([c], value));
    placeholders.set(key, t);
  }
  return t;
}

/**
 * Normalises x [S, ..., C] (rank >= 3: the middle axes are the voxels V) per (sample, group of
 * C / groups channels), then applies w and b ([C], both or neither), then the activation `act`
 * when given (PReLU with `alpha`, [1] or [C]): { y, mean [S, G], variance [S, G] }; undefined
 * where the native kernel is not registered on the current backend, x is not float32 or alpha
 * is not one of those shapes.
 */
export function groupNorm3d(
  x: Tensor,
  groups: number,
  eps: number,
  w: Tensor | null,
  b: Tensor | null,
  act?: NormActName,
  alpha?: Tensor,
): { y: Tensor; mean: Tensor; variance: Tensor } | undefined {
  if (!tf.getKernel(GROUP_NORM, tf.getBackend()) || !f32Backed(x) || x.rank < 3 || x.shape[x.rank - 1] % groups !== 0) return undefined;
  if ((w && !f32Backed(w)) || (b && !f32Backed(b))) return undefined;
  const c = x.shape[x.rank - 1];
  if (act === 'prelu' && (!alpha || !f32Backed(alpha) || alpha.rank !== 1 || (alpha.size !== 1 && alpha.size !== c))) return undefined;
  const affine = !!(w && b);
  // [C] parameters go in as they are (a Reshape kernel each way otherwise)
  const asC = (t: Tensor) => (t.rank === 1 ? t : (tf.reshape(t, [c]) as Tensor1D));
  const wt = affine ? asC(w!) : placeholder(c, 1),
    bt = affine ? asC(b!) : placeholder(c, 0),
    at = act === 'prelu' ? alpha! : placeholder(1, 0);
  const [y, mean, variance] = runKernelOutputs(GROUP_NORM, { x, w: wt, b: bt, alpha: at }, { groups, eps, affine, act });
  return { y, mean, variance };
}
