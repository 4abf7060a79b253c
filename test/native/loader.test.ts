import { test } from 'node:test';
import assert from 'node:assert/strict';
import { info, native } from '../../src/native/index.js';
import { explainMissingAddon } from '../../src/native/loader.js';

test('the addon loads and reports its build', () => {
  const i = info();
  assert.equal(typeof i.version, 'string');
  assert.equal(typeof i.cuda, 'boolean');
  assert.ok(Number.isInteger(i.gpuCount) && i.gpuCount >= 0);
  assert.ok(i.threads >= 1);
  if (!i.cuda) assert.equal(i.gpuCount, 0);
});

test('setNumThreads changes the pool size', () => {
  const n = native();
  const before = n.info().threads;
  assert.equal(n.setNumThreads(1), 1);
  assert.equal(n.info().threads, 1);
  n.setNumThreads(before);
  assert.equal(n.info().threads, before);
});

test('a missing addon is explained with a rebuild command', () => {
  const msg = explainMissingAddon('/nonexistent/pkg', ['/nonexistent/pkg/build/Release/clara_native.node'], new Error('ENOENT'));
  assert.match(msg, /could not be loaded/);
  assert.match(msg, /rebuild with: .*cmake-js compile/);
  assert.match(msg, /node-addon-api is missing/);
});
