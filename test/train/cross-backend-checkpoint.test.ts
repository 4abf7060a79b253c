// Checkpoints move between backends: a model trained by `clara-train train` on one backend
// gives the same outputs (1e-5) when loaded on the other, and `infer` on the other backend
// writes the same segmentations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCli } from '../helpers/run-cli.js';
import { requireTfjsNode } from '../helpers/tfjs-node.js';
import '../../src/cli/builtins.js';
import { networkFromCheckpoint } from '../../src/train/export-model.js';
import { disposeCheckpoint } from '../../src/train/checkpoint.js';
import { registerNativeKernels, unregisterNativeKernels } from '../../src/engine/native-kernels.js';

const skip = await requireTfjsNode();

async function outputsOn(backend: 'cpu-native' | 'tfjs-node', ckpt: string, x: number[], shape: number[]): Promise<Float32Array> {
  if (backend === 'tfjs-node') {
    unregisterNativeKernels();
    assert.ok(await tf.setBackend('tensorflow'));
  } else {
    registerNativeKernels();
    assert.ok(await tf.setBackend('cpu'));
  }
  const { net, ck } = networkFromCheckpoint(ckpt);
  disposeCheckpoint(ck);
  const y = tf.tidy(() => tf.softmax(net.apply(tf.tensor(x, shape), false)));
  const out = y.dataSync() as Float32Array;
  y.dispose();
  for (const w of net.namedWeights()) w.variable.dispose();
  return out;
}

for (const [trainOn, inferOn] of [
  ['cpu-native', 'tfjs-node'],
  ['tfjs-node', 'cpu-native'],
] as const) {
  test(`trained on ${trainOn}, the checkpoint gives the same outputs on ${inferOn} (1e-5) and the same segmentations`, { skip, timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xbackend-'));
    try {
      const mm = join(dir, 'mmar');
      let r = await runCli(['init', '--example', 'synthetic', mm, '--train-cases', '2', '--val-cases', '1', '--size', '32']);
      assert.equal(r.code, 0, r.stderr);
      r = await runCli(['train', '-m', mm, '--set', 'epochs=2', 'num_interval_per_valid=2'], { env: { CLARA_BACKEND: trainOn } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`backend ${trainOn}`));
      const ckpt = join(mm, 'models', 'best');
      const shape = [1, 16, 16, 16, 1];
      const x = Array.from({ length: 16 ** 3 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
      const a = await outputsOn(trainOn, ckpt, x, shape);
      const b = await outputsOn(inferOn, ckpt, x, shape);
      assert.equal(a.length, b.length);
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
      assert.ok(max <= 1e-5, `max |${trainOn} - ${inferOn}| = ${max}`);

      const segs: Record<string, Buffer[]> = {};
      for (const be of [trainOn, inferOn]) {
        const out = join(dir, `infer-${be}`);
        r = await runCli(['infer', '-m', mm, '-o', out], { env: { CLARA_BACKEND: be } });
        assert.equal(r.code, 0, r.stderr);
        const files = readdirSync(out)
          .filter((f) => f.endsWith('_seg.nii.gz'))
          .sort();
        assert.ok(files.length > 0, `no segmentation in ${out}`);
        segs[be] = files.map((f) => gunzipSync(readFileSync(join(out, f))));
      }
      assert.equal(segs[trainOn].length, segs[inferOn].length);
      segs[trainOn].forEach((s, i) => assert.ok(s.equals(segs[inferOn][i]), `segmentation ${i} differs between ${trainOn} and ${inferOn}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
