// Successive halving's rung and promotion rules (src/automl/asha.ts), deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AshaScheduler, rungEpochs } from '../../src/automl/asha.js';
import { ClaraError } from '../../src/util/errors.js';

const place = { file: 'config_automl.json', path: 'scheduler' };
const asha = (args: Record<string, unknown>, max = 9, name = 'ASHA') => new AshaScheduler(args, place, { maxEpochs: max }, name);

test('rungs are min·η^k below max_epochs, then max_epochs', () => {
  assert.deepEqual(rungEpochs(1, 3, 9), [1, 3, 9]);
  assert.deepEqual(rungEpochs(1, 3, 10), [1, 3, 9, 10]);
  assert.deepEqual(rungEpochs(2, 2, 16), [2, 4, 8, 16]);
  assert.deepEqual(rungEpochs(1, 2.5, 8), [1, 3, 8]);
  assert.deepEqual(asha({ min_epochs: 1, reduction_factor: 3 }).rungs, [1, 3, 9]);
});

test('bad args name the JSON path and what was expected', () => {
  assert.throws(
    () => asha({ min_epochs: 9 }),
    (e: unknown) => e instanceof ClaraError && /scheduler\.args\.min_epochs/.test(e.message) && /below max_epochs/.test(e.message),
  );
  assert.throws(() => asha({ reduction_factor: 1 }), /reduction_factor/);
  assert.throws(
    () => asha({ brackets: 3 }),
    (e: unknown) => e instanceof ClaraError && /brackets \(3\) must be at most 2/.test(e.message),
  );
  assert.throws(() => asha({ grace: 1 }), /ASHA has no argument 'grace'/);
});

test('ASHA promotes the top 1/η of a rung once it has η results, highest rung first', () => {
  const s = asha({ min_epochs: 1, reduction_factor: 3 });
  for (let i = 0; i < 3; i++) assert.deepEqual(s.start(i), { trial: i, rung: 0, epochs: 1, promoted: false });
  s.report(0, 0, 0.5);
  s.report(1, 0, 0.7);
  assert.equal(s.nextPromotion(false), undefined, 'two results: ⌊2/3⌋ = 0 promotable');
  s.report(2, 0, 0.6);
  assert.deepEqual(s.nextPromotion(false), { trial: 1, rung: 1, epochs: 3, promoted: true });
  assert.equal(s.nextPromotion(false), undefined, 'trial 1 runs; nobody else is in the top third');
  for (let i = 3; i < 6; i++) {
    s.start(i);
    s.report(i, 0, 0.1 * i);
  }
  // rung 0 now: 0.5(3) 0.5(0) 0.6(2) 0.7(1) 0.4(4)... six results → top 2: trial 1 (running) and trial 2
  assert.deepEqual(s.nextPromotion(false), { trial: 2, rung: 1, epochs: 3, promoted: true });
  s.report(1, 1, 0.8);
  s.report(2, 1, 0.75);
  assert.equal(s.nextPromotion(false), undefined, 'rung 1 has 2 results');
  assert.deepEqual(s.trainArgs({ trial: 1, rung: 1, epochs: 3, promoted: true }), ['--resume', '--epochs', '9', '--stop-after-epoch', '3']);
  assert.deepEqual(s.trainArgs({ trial: 1, rung: 2, epochs: 9, promoted: true }), ['--resume', '--epochs', '9']);
  assert.deepEqual(s.trainArgs({ trial: 7, rung: 0, epochs: 1, promoted: false }), ['--epochs', '9', '--stop-after-epoch', '1']);
});

test('a failed trial is never promoted; a killed job may run again', () => {
  const s = asha({ min_epochs: 1, reduction_factor: 2 }, 4);
  s.start(0);
  s.start(1);
  s.report(0, 0, undefined);
  s.report(1, 0, 0.2);
  assert.deepEqual(s.nextPromotion(false), { trial: 1, rung: 1, epochs: 2, promoted: true });
  s.abandon(1, 1);
  assert.deepEqual(s.nextPromotion(false), { trial: 1, rung: 1, epochs: 2, promoted: true }, 'killed promotion runs again');
  const t = asha({ min_epochs: 1, reduction_factor: 2 }, 4);
  t.start(0);
  t.start(1);
  t.report(0, 0, 0.9);
  t.report(1, 0, undefined);
  assert.deepEqual(t.nextPromotion(false)?.trial, 0, 'the failed one counts in n but is not chosen');
});

test('at the end, a bracket with no trial at max_epochs takes its best one up, one rung at a time', () => {
  const s = asha({ min_epochs: 1, reduction_factor: 3 });
  s.start(0);
  s.start(1);
  s.report(0, 0, 0.3);
  s.report(1, 0, 0.4);
  assert.equal(s.nextPromotion(false), undefined);
  assert.deepEqual(s.nextPromotion(true, true), { trial: 1, rung: 1, epochs: 3, promoted: true }, 'a peek decides nothing');
  assert.deepEqual(s.nextPromotion(true), { trial: 1, rung: 1, epochs: 3, promoted: true });
  assert.equal(s.nextPromotion(true), undefined, 'one job of the bracket runs');
  s.report(1, 1, 0.5);
  assert.deepEqual(s.nextPromotion(true), { trial: 1, rung: 2, epochs: 9, promoted: true });
  s.report(1, 2, 0.6);
  assert.equal(s.nextPromotion(true), undefined, 'a trial reached max_epochs');
  assert.deepEqual(
    s.table().map((r) => r.results.map((x) => x.trial)),
    [[1, 0], [1], [1]],
  );
});

test('Hyperband: trial i goes to bracket i mod brackets; each bracket halves on its own and reaches max_epochs', () => {
  const s = asha({ min_epochs: 1, reduction_factor: 3 }, 9, 'Hyperband');
  assert.equal(s.brackets, 2);
  assert.deepEqual(s.start(0), { trial: 0, rung: 0, epochs: 1, promoted: false });
  assert.deepEqual(s.start(1), { trial: 1, rung: 1, epochs: 3, promoted: false });
  s.report(0, 0, 0.9);
  s.start(2);
  s.report(2, 0, 0.1);
  s.start(4);
  s.report(4, 0, 0.2);
  s.report(1, 1, 0.05);
  // rung 1 holds bracket 1's trial only; bracket 0 has three rung-0 results → trial 0 goes up
  assert.deepEqual(s.nextPromotion(false), { trial: 0, rung: 1, epochs: 3, promoted: true });
  s.report(0, 1, 0.95);
  assert.equal(s.nextPromotion(false), undefined, 'rung 1 of bracket 0 has one result, of bracket 1 one result');
  const seen: number[] = [];
  for (let p = s.nextPromotion(true); p; p = s.nextPromotion(true)) {
    seen.push(p.trial * 10 + p.rung);
    s.report(p.trial, p.rung, 0.99);
  }
  assert.deepEqual(seen, [2, 12], 'each bracket takes its best trial to max_epochs');
});
