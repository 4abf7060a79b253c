// The large-buffer policy: with it, a new 64 MiB volume comes from the heap (reused memory);
// without it, from a fresh mmap. Checked through glibc's own accounting in child processes,
// because the policy is process-wide and applied when the addon loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { applyLargeBufferPolicy, type NativeAlloc } from '../../src/native/alloc.js';
import { native } from '../../src/native/index.js';

const probe = `
import { native, largeBuffers } from './src/native/index.js';
const N = native();
const before = N.mallocStats();
const keep = [];
for (let i = 0; i < 3; i++) { const a = new Float32Array(16 * 1024 * 1024); a.fill(1); keep.push(a); }
const after = N.mallocStats();
console.log(JSON.stringify({ policy: largeBuffers(), heap: after.heapBytes - before.heapBytes, mmapped: after.mmappedBytes - before.mmappedBytes }));
`;

function run(env: NodeJS.ProcessEnv): { policy: string; heap: number; mmapped: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const glibc = native().mallocStats() !== null;

test('volumes come from the heap when large buffers are kept, from mmap when not', { skip: !glibc && 'not glibc' }, () => {
  const MiB = 1024 * 1024;
  const kept = run({ CLARA_KEEP_LARGE_BUFFERS: '' });
  assert.equal(kept.policy, 'kept');
  assert.ok(kept.heap >= 2 * 64 * MiB, `heap grew by ${kept.heap}`);
  assert.ok(kept.mmapped < 64 * MiB, `mmapped grew by ${kept.mmapped}`);
  const off = run({ CLARA_KEEP_LARGE_BUFFERS: '0' });
  assert.equal(off.policy, 'off');
  assert.ok(off.mmapped >= 2 * 64 * MiB, `mmapped grew by ${off.mmapped}`);
});

test('the policy defers to the user and reports what it did', () => {
  const calls: number[][] = [];
  const fake: NativeAlloc = { keepLargeBuffers: (a, b) => (calls.push([a, b]), true), mallocStats: () => null };
  assert.equal(applyLargeBufferPolicy(fake, { CLARA_KEEP_LARGE_BUFFERS: '0' }), 'off');
  assert.equal(applyLargeBufferPolicy(fake, { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4096' }), 'user-tunables');
  assert.equal(calls.length, 0);
  assert.equal(applyLargeBufferPolicy(fake, {}), 'kept');
  assert.deepEqual(calls, [[1 << 30, 1 << 30]]);
  const refused: NativeAlloc = { keepLargeBuffers: () => false, mallocStats: () => null };
  assert.equal(applyLargeBufferPolicy(refused, {}), 'unsupported');
});
