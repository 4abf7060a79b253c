import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, forcedBackend, initEngine, resetBackendChoice, ampEnabled, nativeKernelsRegistered, setAmp } from '../../src/engine/index.js';
import { ClaraError } from '../../src/util/errors.js';

const saved = process.env.CLARA_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.CLARA_BACKEND;
  else process.env.CLARA_BACKEND = saved;
  resetBackendChoice();
  setAmp(false);
});

async function canImport(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

test('CLARA_BACKEND is parsed; a wrong value names the variable and the choices', () => {
  assert.equal(forcedBackend({}), undefined);
  assert.equal(forcedBackend({ CLARA_BACKEND: 'cpu-native' }), 'cpu-native');
  assert.throws(
    () => forcedBackend({ CLARA_BACKEND: 'gpu' }),
    (e: unknown) =>
      e instanceof ClaraError && /CLARA_BACKEND='gpu' is not a backend; expected one of tfjs-node-gpu, tfjs-node, cpu-native, cpu/.test(e.message),
  );
});

test('the default choice walks the order, logs once with the reasons, and is cached', async (t) => {
  if ((await canImport('@tensorflow/tfjs-node')) || (await canImport('@tensorflow/tfjs-node-gpu'))) {
    t.skip('tfjs-node is installed here: the native CPU path is not the default');
    return;
  }
  delete process.env.CLARA_BACKEND;
  const lines: string[] = [];
  const a = await chooseBackend({ log: (l) => lines.push(l) });
  const b = await chooseBackend({ log: (l) => lines.push(l) });
  assert.equal(a, b);
  assert.equal(lines.length, 1);
  assert.equal(a.name, 'cpu-native');
  assert.equal(a.tfBackend, 'cpu');
  assert.ok(a.nativeKernels && nativeKernelsRegistered());
  assert.deepEqual(
    a.skipped.map((s) => s.name),
    ['tfjs-node-gpu', 'tfjs-node'],
  );
  assert.match(a.skipped[1].reason, /@tensorflow\/tfjs-node is not installed/);
  assert.match(
    lines[0],
    /backend cpu-native \(native .*\) \[first usable in the order tfjs-node-gpu, tfjs-node, cpu-native, cpu\] — skipped tfjs-node-gpu: .*; tfjs-node: /,
  );
});

test('initEngine({amp: true}) on the native path switches the convs to bf16', async () => {
  process.env.CLARA_BACKEND = 'cpu-native';
  const e = await initEngine({ amp: true, log: () => {} });
  assert.equal(e.backend.name, 'cpu-native');
  assert.equal(e.backend.forced, true);
  assert.equal(e.amp, 'bf16-native');
  assert.ok(ampEnabled());
  // bf16 changes what the conv computes (a conv with enough work that use_amp runs it in bf16
  // on AMX too: 16 -> 32 channels on 12³, 24 M multiply-adds; smaller ones stay fp32 there)
  const x = tf.tensor5d(
    Array.from({ length: 12 ** 3 * 16 }, (_, i) => Math.sin(i) * 1.2345),
    [1, 12, 12, 12, 16],
  );
  const w = tf.tensor5d(
    Array.from({ length: 27 * 16 * 32 }, (_, i) => Math.cos(i) * 0.777),
    [3, 3, 3, 16, 32],
  );
  const bf = tf.conv3d(x, w, 1, 'same').dataSync();
  setAmp(false);
  const fp = tf.conv3d(x, w, 1, 'same').dataSync();
  assert.notDeepEqual(Array.from(bf), Array.from(fp));
  const off = await initEngine({ amp: false });
  assert.equal(off.amp, 'off');
  assert.equal(ampEnabled(), false);
  tf.dispose([x, w]);
});

test('CLARA_BACKEND=cpu: pure tfjs, and use_amp is reported unsupported (said once)', async () => {
  process.env.CLARA_BACKEND = 'cpu';
  const lines: string[] = [];
  const e = await initEngine({ amp: true, log: (l) => lines.push(l) });
  assert.equal(e.backend.name, 'cpu');
  assert.equal(e.backend.nativeKernels, false);
  assert.equal(nativeKernelsRegistered(), false);
  assert.equal(e.amp, 'unsupported-on-backend');
  assert.equal(ampEnabled(), false);
  await initEngine({ amp: true, log: (l) => lines.push(l) });
  assert.equal(lines.filter((l) => /cannot run half precision/.test(l)).length, 1);
});

test('forcing a backend that is not installed fails with the reason', async (t) => {
  if (await canImport('@tensorflow/tfjs-node')) {
    t.skip('tfjs-node is installed here');
    return;
  }
  process.env.CLARA_BACKEND = 'tfjs-node';
  await assert.rejects(chooseBackend({ log: () => {} }), /CLARA_BACKEND=tfjs-node cannot be used: @tensorflow\/tfjs-node is not installed/);
});
