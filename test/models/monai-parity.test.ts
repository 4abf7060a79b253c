// UNet and SegResNet against MONAI: same parameter names and counts, and the same outputs
// when MONAI's weights are loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { unetFactory, segResNetFactory } from '../../src/models/factories.js';
import { loadTorchStateDict, type TorchTensor } from '../../src/models/torch-weights.js';
import { monaiFixture } from '../helpers/monai-fixtures.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();

interface Case {
  train_mode?: boolean;
  state_after?: Record<string, TorchTensor>;
  name: string;
  kind: string;
  args: Record<string, unknown>;
  params: number;
  state_dict: Record<string, TorchTensor>;
  input: TorchTensor;
  output: TorchTensor;
}
const { data, source } = monaiFixture<{ cases: Case[]; counts: Omit<Case, 'state_dict' | 'input' | 'output'>[] }>('make_model_fixtures.py', 'models.json');
const build = (kind: string, args: Record<string, unknown>) => (kind === 'UNet' ? unetFactory : segResNetFactory)(args, { file: 'test', path: 'model' });

for (const c of data.cases) {
  test(`${c.name}: outputs${c.train_mode ? ' (training mode) and running stats' : ''} equal MONAI's with MONAI's weights (${source})`, () => {
    const model = build(c.kind, c.args);
    assert.equal(model.paramCount(), c.params);
    loadTorchStateDict(model.store, c.state_dict);
    const x: tf.Tensor = tf.tensor(Array.from(c.input.data), c.input.shape);
    const y = model.apply(x as tf.Tensor5D, !!c.train_mode);
    assert.deepEqual(y.shape as number[], c.output.shape);
    const got = y.dataSync();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - c.output.data[i]));
    assert.ok(worst < 1e-4, `max abs difference ${worst}`);
    for (const [k, t] of Object.entries(c.state_after ?? {})) {
      const v = model.store.buffers.get(k)!.dataSync();
      t.data.forEach((w, i) => assert.ok(Math.abs(v[i] - w) < 1e-5, `${k}[${i}]: ${v[i]} vs MONAI ${w}`));
    }
    model.dispose();
  });
}

for (const c of data.counts) {
  test(`${c.name}: parameter count equals MONAI's (${c.params})`, () => {
    const model = build(c.kind, c.args);
    assert.equal(model.paramCount(), c.params);
    model.dispose();
  });
}
