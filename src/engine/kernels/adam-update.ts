// ClaraAdamUpdate: the Adam / AdamW update of one float32 parameter in one native pass (tfjs
// ops: about ten passes and temporaries per parameter). Inputs p, m, v, g; outputs the new p,
// m, v as fresh tensors (the optimizer assigns them). src/optimizers/optimizer.ts runs it
// through adamKernelUpdate while it is registered on the current backend, tensor ops otherwise.
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs';
import type { AdamStepParams } from '../../native/adam.js';
import { defineKernel, f32, f32Backed, runKernelOutputs } from './kernel.js';
import { outputF32 } from '../output-pool.js';

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
    k.adamF32(pv, mv, vv, gv, po, mo, vo, s.lr, s.beta1, s.beta2, s.eps, s.bc1, s.bc2, s.weightDecay, s.decoupled);
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
