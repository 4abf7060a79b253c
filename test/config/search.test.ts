import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractSearchSpace, searchKey } from '../../src/config/search-space.js';
import { sampleDefaults, validateValues } from '../../src/config/search-values.js';
import { applySearchValues } from '../../src/config/search-apply.js';
import { getAtPath } from '../../src/config/json-path.js';
import { ClaraError } from '../../src/util/errors.js';

const file = 'cfg.json';

const cfg = {
  learning_rate: 1e-3,
  search: [
    { domain: 'lr', type: 'float', args: ['learning_rate'], targets: [1e-5, 1e-2] },
    { domain: 'lr', type: 'float', args: ['lr2'], targets: [1e-5, 1e-2], scale: 'linear' },
    { domain: 'net', type: 'float', args: ['wd'], targets: [1e-6, 1e-2], log: true },
    { domain: 'net', type: 'int', args: ['batch'], targets: [1, 8] },
    { domain: 'net', type: 'bool', args: ['@flag'] },
  ],
  train: {
    lr_policy: [{ name: 'ReducePoly', args: { poly_power: 0.9 }, search: [{ domain: 'lr', type: 'float', args: ['poly_power'], targets: [0.5, 1.5] }] }],
    model: {
      name: 'Net',
      args: { a: 1, b: 'x', c: 1 },
      search: [
        { domain: 'net', type: 'enum', args: 'c', targets: [1, 2, 3] },
        {
          domain: 'net',
          type: 'enum',
          args: ['a', 'b'],
          targets: [
            [1, 'x'],
            [2, 'y'],
          ],
        },
      ],
      __search: [{ domain: 'net', type: 'enum', args: ['zzz'], targets: [[1]] }],
    },
  },
};

test('Clara-style keys: domain.type.path$index:args', () => {
  const space = extractSearchSpace(cfg, { file });
  assert.deepEqual(
    space.items.map((i) => i.key),
    [
      'lr.float.$0:learning_rate',
      'lr.float.$1:lr2',
      'net.float.$2:wd',
      'net.int.$3:batch',
      'net.bool.$4:@flag',
      'lr.float.train.lr_policy[0]$0:poly_power',
      'net.enum.train.model$0:c',
      'net.enum.train.model$1:a,b',
    ],
  );
  assert.equal(searchKey('lr', 'float', 'train.lr_policy', 0, ['poly_power']), 'lr.float.train.lr_policy$0:poly_power');
});

test('log scale: explicit log/scale, and lr ranges spanning >= 2 decades default to log', () => {
  const items = extractSearchSpace(cfg, { file }).items;
  assert.equal(items[0].log, true, 'lr 1e-5..1e-2: 3 decades');
  assert.equal(items[1].log, false, 'scale: linear wins');
  assert.equal(items[2].log, true, 'log: true');
  assert.equal(items[5].log, false, 'lr 0.5..1.5');
});

test('defaults: current value when it fits, else midpoint (geometric for log), enum choice matching current', () => {
  const space = extractSearchSpace(cfg, { file });
  const d = sampleDefaults(space);
  assert.equal(d['lr.float.$0:learning_rate'], 1e-3);
  assert.ok(Math.abs((d['net.float.$2:wd'] as number) - 1e-4) < 1e-12);
  assert.equal(d['net.int.$3:batch'], 5);
  assert.equal(d['net.bool.$4:@flag'], false);
  assert.equal(d['lr.float.train.lr_policy[0]$0:poly_power'], 0.9);
  assert.equal(d['net.enum.train.model$0:c'], 0);
  assert.equal(d['net.enum.train.model$1:a,b'], 0);
  assert.deepEqual(validateValues(space, d), d);
});

test('validation errors name the key', () => {
  const space = extractSearchSpace(cfg, { file });
  const d = sampleDefaults(space);
  const bad = (patch: Record<string, unknown>, re: RegExp) =>
    assert.throws(
      () => validateValues(space, { ...d, ...patch } as never),
      (e: unknown) => e instanceof ClaraError && re.test(e.message),
    );
  bad({ 'lr.float.$0:learning_rate': 1 }, /lr\.float\.\$0:learning_rate: expected a number in \[0\.00001, 0\.01\], found 1/);
  bad({ 'net.int.$3:batch': 2.5 }, /net\.int\.\$3:batch: expected an integer/);
  bad({ 'net.enum.train.model$0:c': 3 }, /expected the index of a choice \(0\.\.2\)/);
  bad({ 'net.bool.$4:@flag': 'yes' }, /expected true or false/);
  bad({ 'lr.float.$0:learning_rat': 1e-3 }, /lr\.float\.\$0:learning_rat: unknown search key; closest: lr\.float\.\$0:learning_rate/);
  const { ['net.int.$3:batch']: _, ...missing } = d;
  assert.throws(() => validateValues(space, missing), /net\.int\.\$3:batch: missing value/);
  assert.equal(validateValues(space, missing, { allowMissing: true })['net.int.$3:batch'], 5);
  // enum also accepts the choice itself
  assert.equal(validateValues(space, { ...d, 'net.enum.train.model$1:a,b': [2, 'y'] })['net.enum.train.model$1:a,b'], 1);
});

test('applySearchValues sets variables, args and grouped enum args; drops search entries but keeps __search', () => {
  const space = extractSearchSpace(cfg, { file });
  const values = {
    ...sampleDefaults(space),
    'lr.float.$0:learning_rate': 5e-3,
    'net.int.$3:batch': 4,
    'net.bool.$4:@flag': true,
    'net.enum.train.model$1:a,b': 1,
  };
  const out = applySearchValues(cfg, space, values);
  assert.equal(out.learning_rate, 5e-3);
  assert.equal(out.batch, 4);
  assert.equal(out.flag, true);
  assert.deepEqual(getAtPath(out, 'train.model.args'), { a: 2, b: 'y', c: 1 });
  assert.equal(out.search, undefined);
  assert.equal(getAtPath(out, 'train.model.search'), undefined);
  assert.ok(getAtPath(out, 'train.model.__search'));
  assert.ok(getAtPath(applySearchValues(cfg, space, values, { removeSearch: false }), 'train.model.search'));
});

test('bad search entries are errors with the JSON path', () => {
  const bad = (entry: unknown, re: RegExp, where = { name: 'M', args: { p: 1 } }) =>
    assert.throws(() => extractSearchSpace({ train: { m: { ...where, search: [entry] } } }, { file }), re);
  bad({ domain: 'net', type: 'range', args: ['p'], targets: [0, 1] }, /train\.m\.search\[0\]\.type: expected "type" to be one of float, enum, int, bool/);
  bad(
    { domain: 'net', type: 'float', args: ['q'], targets: [0, 1] },
    /train\.m\.search\[0\]\.args\[0\]: search arg 'q' is not an argument of M; its args are p/,
  );
  bad({ domain: 'net', type: 'float', args: ['p'], targets: [1, 0] }, /expected min <= max/);
  bad({ domain: 'net', type: 'float', args: ['p'], targets: [0, 1], log: true }, /log-scale range needs min > 0/);
  bad(
    { domain: 'net', type: 'enum', args: ['p', 'p'], targets: [[1]] },
    /train\.m\.search\[0\]\.targets\[0\]: expected choice 0 to be a list with one value per arg/,
  );
  bad({ type: 'float', args: ['p'], targets: [0, 1] }, /expected "domain"/);
  assert.throws(
    () =>
      extractSearchSpace(
        {
          x: 1,
          search: [
            { domain: 'net', type: 'bool', args: ['x'] },
            { domain: 'net', type: 'enum', args: ['@x'], targets: [[1]] },
          ],
        },
        { file },
      ),
    /search\[1\]\.args\[0\]: variable 'x' is searched twice \(also by net\.bool\.\$0:x\)/,
  );
});
