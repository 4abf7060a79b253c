import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSetOverrides, parseOverrideValue, setOverrideTexts } from '../../src/mmar/overrides.js';
import { runCli } from '../cli/run-cli.js';
import { ClaraError } from '../../src/util/errors.js';

test('--set values parse as JSON where they parse, else stay strings', () => {
  assert.deepEqual(parseSetOverrides(['lr=1e-4', 'amp=true', 'n=3', 'shape=[1,2]', 'workers=0:0:1:1', 'name=abc', 'q="x"', 'e=']), {
    lr: 1e-4,
    amp: true,
    n: 3,
    shape: [1, 2],
    workers: '0:0:1:1',
    name: 'abc',
    q: 'x',
    e: '',
  });
  assert.equal(parseOverrideValue('null'), null);
});

test('several K=V in one --set item; later ones win', () => {
  assert.deepEqual(parseSetOverrides(['run_id=a trainconf=t.json workers=0:0', 'run_id=b']), {
    run_id: 'b',
    trainconf: 't.json',
    workers: '0:0',
  });
});

test('bad --set items are errors naming the item', () => {
  assert.throws(
    () => parseSetOverrides(['learning_rate']),
    (e: unknown) => e instanceof ClaraError && /--set: 'learning_rate': expected KEY=VALUE/.test(e.message),
  );
  assert.throws(
    () => parseSetOverrides(['=3']),
    (e: unknown) => e instanceof ClaraError && /not a variable name/.test(e.message),
  );
  assert.throws(() => parseSetOverrides(['1x=3']), /not a variable name/);
});

test('automl reads --set with the same reader, values kept as written (run_id, workers, seed are text)', () => {
  assert.deepEqual(setOverrideTexts(['run_id=007 workers=0:0:1:1', 'seed=3', 'shape=[1, 2]']), {
    run_id: '007',
    workers: '0:0:1:1',
    seed: '3',
    shape: '[1, 2]',
  });
  assert.throws(() => setOverrideTexts(['run_id']), /--set: 'run_id': expected KEY=VALUE/);
  const r = runCli(['automl', '-m', '.', '--set', 'run_id']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "error: --set: 'run_id': expected KEY=VALUE (e.g. --set learning_rate=1e-4 epochs=10)\n");
});
