// FocalLoss (sigmoid form, as the Clara 4.x example config uses it) must be differentiable
// inside the training step: tf.variableGrads over the loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registry } from '../../src/config/registry.js';
import '../../src/losses/register.js';

for (const args of [{ to_onehot_y: true }, { to_onehot_y: true, include_background: false, gamma: 2 }, { to_onehot_y: true, alpha: 0.25 }]) {
  test(`FocalLoss ${JSON.stringify(args)} has a finite gradient`, () => {
    const f = registry.get('FocalLoss')!.factory(args, { file: 't', path: 'loss' }) as (p: tf.Tensor, y: tf.Tensor) => tf.Scalar;
    const p = tf.variable(
      tf.tensor5d(
        Float32Array.from({ length: 2 * 27 * 2 }, (_, i) => Math.sin(i)),
        [2, 3, 3, 3, 2],
      ),
    );
    const y = tf.tensor5d(
      Float32Array.from({ length: 2 * 27 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      [2, 3, 3, 3, 1],
    );
    const { value, grads } = tf.variableGrads(() => f(p, y), [p]);
    assert.ok(Number.isFinite(value.dataSync()[0]));
    const g = grads[p.name].dataSync();
    assert.ok(g.every(Number.isFinite) && g.some((x) => x !== 0));
    // matches a finite difference on one element
    const eps = 1e-2;
    const at = (d: number) =>
      tf.tidy(
        () =>
          f(
            tf.add(
              p,
              tf.tensor5d(
                Float32Array.from({ length: p.size }, (_, i) => (i === 5 ? d : 0)),
                p.shape as [number, number, number, number, number],
              ),
            ),
            y,
          ).dataSync()[0],
      );
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    assert.ok(Math.abs(fd - g[5]) < 1e-3 + 1e-2 * Math.abs(fd), `fd ${fd} vs grad ${g[5]}`);
  });
}
