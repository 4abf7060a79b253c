// ClaraAdamUpdate: the Adam / AdamW update of one float32 parameter in one native pass (tfjs
// ops: about ten passes and temporaries per parameter). Inputs p, m, v, g; outputs the new p,
// m, v as fresh tensors (the optimizer assigns them). src/optimizers/optimizer.ts runs it
// through adamKernelUpdate while it is registered on the current backend, tensor ops otherwise.
// From the second step on, a parameter's p, m and v are arrays this kernel made and only their
// variables see (output-pool.ts exclusiveArray): adamInPlace then updates all such parameters
// in place in one native call (no per-parameter kernel dispatch, new tensors or assigns).
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs';
import type { AdamStepParams } from '../../native/adam.js';
import { defineKernel, f32, f32Backed, runKernelOutputs } from './kernel.js';
import { exclusiveArray, outputF32 } from '../output-pool.js';
import { adamHyper, adamUpdateInPlace, type AdamArrays } from '../../native/adam.js';

const ADAM_UPDATE = 'ClaraAdamUpdate';

export const adamUpdateKernel = defineKernel<'p' | 'm' | 'v' | 'g', AdamStepParams>({
  name: ADAM_UPDATE,
  mode: 'add',
  run({ p, m, v, g }, be, s, k) {
    const pv = f32(be, p)!,
      mv = f32(be, m)!,
      vv = f32(be, v)!,
      gv = f32(be, g)!;
    const n = pv.length,
      po = outputF32(n),
      mo = outputF32(n),
      vo = outputF32(n);
    k.adamF32(pv, mv, vv, gv, po, mo, vo, ...adamHyper(s));
    return [be.makeTensorInfo(p.shape, 'float32', po), be.makeTensorInfo(p.shape, 'float32', mo), be.makeTensorInfo(p.shape, 'float32', vo)];
  },
});

/** The new [p, m, v] from the native kernel, or undefined where it is not registered or a dtype is not float32. */
export function adamKernelUpdate(s: AdamStepParams, p: Tensor, m: Tensor, v: Tensor, g: Tensor): [Tensor, Tensor, Tensor] | undefined {
  if (!tf.getKernel(ADAM_UPDATE, tf.getBackend()) || ![p, m, v, g].every(f32Backed)) return undefined;
  if (g.size !== p.size) return undefined;
  const [np, nm, nv] = runKernelOutputs(ADAM_UPDATE, { p, m, v, g }, s);
  return [np, nm, nv];
}

/** One parameter's Adam update: its variable, slots and gradient. */
export interface AdamParam {
  p: Tensor;
  m: Tensor;
  v: Tensor;
  g: Tensor;
}

/**
 * Updates in place, in one native call, every parameter whose p, m and v arrays nothing but
 * their variables can see; returns the parameters it left for the per-parameter path.
 */
export function adamInPlace(s: AdamStepParams, params: AdamParam[]): AdamParam[] {
  if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) return params;
  const be = tf.backend() as unknown as Parameters<typeof f32>[0];
  const rest: AdamParam[] = [],
    arrays: AdamArrays[] = [];
  for (const x of params) {
    const p = exclusiveArray(x.p),
      m = exclusiveArray(x.m),
      v = exclusiveArray(x.v);
    const g = f32Backed(x.g) ? f32(be, x.g) : undefined;
    if (p && m && v && g && g.length === p.length && m.length === p.length && v.length === p.length) arrays.push({ p, m, v, g });
    else rest.push(x);
  }
  if (arrays.length) adamUpdateInPlace(s, arrays);
  return rest;
}
