// The measured backend choice: the job's workload read from its config, a real train-step
// measurement on each backend in child processes, cached per machine and model shape,
// and chooseBackend taking the faster with the figures in its reason.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainStepMeasure } from '../../src/train/backend-probe.js';
import { trainWorkload } from '../../src/train/backend-workload.js';
import { chooseBackend, resetBackendChoice, nativeKernelsRegistered, type BackendMeasure } from '../../src/engine/index.js';
import { loadMmar } from '../../src/mmar/load.js';
import { runCli } from '../helpers/run-cli.js';
import { requireTfjsNode } from '../helpers/tfjs-node.js';

const skip = await requireTfjsNode();
const saved = process.env.CLARA_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.CLARA_BACKEND;
  else process.env.CLARA_BACKEND = saved;
  resetBackendChoice();
});

test("the workload is the config's model on a batch of its crops", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'workload-'));
  try {
    const r = await runCli(['init', '--example', 'synthetic', join(dir, 'm'), '--train-cases', '2', '--val-cases', '1', '--size', '32']);
    assert.equal(r.code, 0, r.stderr);
    const w = trainWorkload(loadMmar(join(dir, 'm'), { automl: false }));
    assert.ok(w);
    assert.equal(w.model.name, 'UNet');
    // batch_size 2 × num_samples 2 crops of 32³, one input channel
    assert.deepEqual(w.input, [4, 32, 32, 32, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a train step is measured on both backends once, then read from the cache; the faster runs', { skip, timeout: 300_000 }, async () => {
  const cache = mkdtempSync(join(tmpdir(), 'probe-cache-'));
  try {
    const env = { ...process.env, CLARA_CACHE_DIR: cache };
    const w = {
      model: { name: 'UNet', args: { spatial_dims: 3, in_channels: 1, out_channels: 2, channels: [4, 8], strides: [2], num_res_units: 0 } },
      input: [1, 16, 16, 16, 1] as [number, number, number, number, number],
    };
    const lines: string[] = [];
    const measure = trainStepMeasure(w, { env, log: (l) => lines.push(l) });
    const first = await measure(['tfjs-node', 'cpu-native']);
    assert.ok(first['tfjs-node']! > 0 && first['cpu-native']! > 0, JSON.stringify(first));
    assert.ok(!first.cached);
    assert.match(lines[0], /measuring a train step of UNet on 1×16×16×16×1 with tfjs-node and cpu-native/);
    assert.equal(readdirSync(join(cache, 'backend-choice')).length, 1);
    const second = await measure(['tfjs-node', 'cpu-native']);
    assert.ok(second.cached);
    assert.equal(second['tfjs-node'], first['tfjs-node']);
    assert.equal(lines.length, 1, 'the second call measures nothing');

    delete process.env.CLARA_BACKEND;
    const b = await chooseBackend({ measure, log: () => {} });
    const faster = first['cpu-native']! < first['tfjs-node']! ? 'cpu-native' : 'tfjs-node';
    assert.equal(b.name, faster);
    assert.match(b.reason, new RegExp(`^measured: train step ${faster} \\d+ ms vs .* \\(cached\\)$`));
    assert.equal(b.tfBackend, faster === 'tfjs-node' ? 'tensorflow' : 'cpu');
    assert.equal(nativeKernelsRegistered(), faster === 'cpu-native');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

for (const winner of ['tfjs-node', 'cpu-native'] as const) {
  test(`given figures where ${winner} is faster, ${winner} runs; on tfjs-node our native kernels are not registered`, { skip }, async () => {
    delete process.env.CLARA_BACKEND;
    const measure: BackendMeasure = async () => (winner === 'tfjs-node' ? { 'tfjs-node': 0.1, 'cpu-native': 0.2 } : { 'tfjs-node': 0.3, 'cpu-native': 0.2 });
    const b = await chooseBackend({ measure, log: () => {} });
    assert.equal(b.name, winner);
    assert.equal(tf.getBackend(), winner === 'tfjs-node' ? 'tensorflow' : 'cpu');
    assert.equal(nativeKernelsRegistered(), winner === 'cpu-native');
    assert.deepEqual(b.measured, winner === 'tfjs-node' ? { 'tfjs-node': 0.1, 'cpu-native': 0.2 } : { 'tfjs-node': 0.3, 'cpu-native': 0.2 });
    assert.ok(b.skipped.some((s) => s.name === (winner === 'tfjs-node' ? 'cpu-native' : 'tfjs-node') && /slower for this job/.test(s.reason)));
  });
}

test('a measurement that fails falls back to the list order and says why', { skip }, async () => {
  delete process.env.CLARA_BACKEND;
  const b = await chooseBackend({
    measure: async () => {
      throw new Error('probe exited 1');
    },
    log: () => {},
  });
  assert.equal(b.name, 'tfjs-node');
  assert.match(b.reason, /first usable in the order .* \(could not measure: probe exited 1\)/);
});

test('use_amp on tfjs-node runs fp32 and says so once', { skip }, async () => {
  const { initEngine } = await import('../../src/engine/index.js');
  const lines: string[] = [];
  const e = await initEngine({ amp: true, force: 'tfjs-node', log: (l) => lines.push(l) });
  assert.equal(e.backend.name, 'tfjs-node');
  assert.equal(e.amp, 'unsupported-on-backend');
  assert.match(e.ampDetail!, /backend tfjs-node cannot run half precision; training runs in fp32/);
  const again = await initEngine({ amp: true, force: 'tfjs-node', log: (l) => lines.push(l) });
  assert.equal(again.amp, 'unsupported-on-backend');
  assert.equal(lines.filter((l) => /half precision/.test(l)).length <= 1, true, lines.join('\n'));
});
