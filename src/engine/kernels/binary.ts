// Broadcasting add/sub/mul/div of float32 tensors in one native pass (rank <= 8); the four
// kernels (add.ts, sub.ts, multiply.ts, real-div.ts) share this body.
import * as tf from '@tensorflow/tfjs';
import { BINARY_OPS, broadcastStrides, collapseBroadcast, type BinaryOpName } from '../../native/elementwise.js';
import { defineKernel, f32, sizeOf, type EngineKernel } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export function binaryKernel(name: string, op: BinaryOpName): EngineKernel {
  return defineKernel<'a' | 'b'>({
    name,
    mode: 'replace',
    run({ a, b }, be, _attrs, k) {
      const av = f32(be, a),
        bv = f32(be, b);
      if (!av || !bv) return undefined;
      const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      if (shape.length > 8) return undefined;
      const out = outputF32(sizeOf(shape));
      const c = collapseBroadcast(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
      k.binaryF32(BINARY_OPS[op], c.shape, av, c.as, bv, c.bs, out);
      return be.makeTensorInfo(shape, 'float32', out);
    },
  });
}
