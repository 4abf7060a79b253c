// A worker thread terminated while one of the addon's async ops is in flight must not take
// the process down: the op settles into an environment that is shutting down (SmartCache
// workers, Ctrl-C during caching). Runs in a child process, because the failure is an abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { addonCandidates } from '../../src/native/loader.js';
import { existsSync } from 'node:fs';

const script = `
import { Worker } from 'node:worker_threads';
const code = \`
const { parentPort, workerData } = require('node:worker_threads');
const N = require(workerData);
const s = 160, n = s * s * s;
const a = new Float32Array(n), o = new Float32Array(n);
const xf = Float64Array.from([0.9, -0.3, 0, 3, 0.3, 0.9, 0, -2, 0, 0, 1.1, 1]);
for (let i = 0; i < 4; i++) N.transforms.resample(a, 1, [s, s, s], o, [s, s, s], xf, 1, 1, true);
for (let i = 0; i < 4; i++) N.transforms.gaussianNoise(a, o, i, 0, 1, true);
parentPort.postMessage('started');
\`;
for (let r = 0; r < 6; r++) {
  const w = new Worker(code, { eval: true, execArgv: [], workerData: process.argv[1] });
  await new Promise((res) => w.once('message', res));
  await w.terminate();
}
console.log('survived');
`;

test('terminating a worker mid-op leaves the process alive', () => {
  const addon = addonCandidates().find((p) => existsSync(p));
  assert.ok(addon, 'the addon is built');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, addon], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.stderr.includes('terminate called'), false, r.stderr);
  assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}\n${r.stderr}`);
  assert.match(r.stdout, /survived/);
});
