import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSetOverrides, parseOverrideValue } from '../../src/mmar/overrides.js';
import { ClaraError } from '../../src/util/errors.js';

test('--set values parse as JSON where they parse, else stay strings', () => {
  assert.deepEqual(parseSetOverrides(['lr=1e-4', 'amp=true', 'n=3', 'shape=[1,2]', 'workers=0:0:1:1', 'name=abc', 'q="x"', 'e=']), {
    lr: 1e-4, amp: true, n: 3, shape: [1, 2], workers: '0:0:1:1', name: 'abc', q: 'x', e: '',
  });
  assert.equal(parseOverrideValue('null'), null);
});

test('several K=V in one --set item; later ones win', () => {
  assert.deepEqual(parseSetOverrides(['run_id=a trainconf=t.json workers=0:0', 'run_id=b']), {
    run_id: 'b', trainconf: 't.json', workers: '0:0',
  });
});

test('bad --set items are errors naming the item', () => {
  assert.throws(() => parseSetOverrides(['learning_rate']), (e: unknown) => e instanceof ClaraError && /--set: 'learning_rate': expected KEY=VALUE/.test(e.message));
  assert.throws(() => parseSetOverrides(['=3']), (e: unknown) => e instanceof ClaraError && /not a variable name/.test(e.message));
  assert.throws(() => parseSetOverrides(['1x=3']), /not a variable name/);
});
