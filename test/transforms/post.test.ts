import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeFromConfig } from '../../src/transforms/build.js';
import type { Sample, Tensor } from '../../src/transforms/types.js';

test('Activationsd softmax + AsDiscreted argmax / to_onehot, as the synthetic example configures them', async () => {
  const t = composeFromConfig(
    [
      { name: 'Activationsd', args: { keys: 'pred', softmax: true } },
      { name: 'AsDiscreted', args: { keys: ['pred', 'label'], argmax: [true, false], to_onehot: 2 } },
    ],
    { file: 'post', path: 'validate.post_transforms' },
  );
  // pred [2, 1, 1, 3]: voxel 0 → class 0, voxels 1, 2 → class 1
  const s: Sample = {
    pred: { data: Float32Array.from([3, 0, -1, 1, 2, 4]), shape: [2, 1, 1, 3] },
    label: { data: Float32Array.from([0, 1, 1]), shape: [1, 1, 1, 3] },
  };
  const r = (await t.apply(s)) as Sample;
  assert.deepEqual((r.pred as Tensor).shape, [2, 1, 1, 3]);
  assert.deepEqual(Array.from((r.pred as Tensor).data), [1, 0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from((r.label as Tensor).data), [1, 0, 0, 0, 1, 1]);
  const sm = composeFromConfig([{ name: 'Activationsd', args: { keys: 'pred', softmax: true } }], { file: 'post', path: 'p' });
  const p = ((await sm.apply(s)) as Sample).pred as Tensor;
  for (let v = 0; v < 3; v++) assert.ok(Math.abs(p.data[v] + p.data[3 + v] - 1) < 1e-6);
  assert.throws(
    () => composeFromConfig([{ name: 'Activationsd', args: { keys: 'pred', sigmoid: true, softmax: true } }], { file: 'post', path: 'p' }),
    /exclusive/,
  );
});
