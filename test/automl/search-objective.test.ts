// The score a successive-halving rung compares (src/automl/search-objective.ts rungScore):
// the key metric at the rung's epoch, not the job's best so far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rungScore } from '../../src/automl/search-objective.js';
import type { Outcome } from '../../src/automl/types.js';

const rung = (epochs: number) => ({ index: 1, epochs, promoted: true, folder: 'W0_1_J0' });
const outcome = (o: Partial<Outcome>): Outcome => ({
  recommendation: { id: 0, values: {} },
  jobName: 'W0_1_J0_R1',
  score: 0.94,
  status: 'FINISHED',
  ...o,
});
// An oscillating curve (a high learning rate): its best so far (0.94) is not where it stands at epoch 9.
const oscillating = [0.45, 0.81, 0.88, 0.92, 0.92, 0.89, 0.93, 0.94, 0.9, 0.92].map((value, i) => ({ epoch: i + 1, value }));

test('a rung compares the key metric at its epoch, not the best so far', () => {
  assert.equal(rungScore(outcome({ history: oscillating, rung: rung(9) })), 0.9);
  assert.equal(rungScore(outcome({ history: oscillating, rung: rung(3) })), 0.88, 'a later validation in the history (a resumed job) is ignored');
});

test('validation every few epochs: the last one at or before the rung', () => {
  const every3 = oscillating.filter((h) => h.epoch % 3 === 0);
  assert.equal(rungScore(outcome({ history: every3, rung: rung(8) })), 0.89);
});

test('a distance key metric is negated; no history gives the score; a failed job gives nothing', () => {
  assert.equal(
    rungScore(
      outcome({
        lowerIsBetter: true,
        score: 3,
        history: [
          { epoch: 1, value: 5 },
          { epoch: 2, value: 4 },
        ],
        rung: rung(2),
      }),
    ),
    -4,
  );
  assert.equal(rungScore(outcome({ rung: rung(3) })), 0.94);
  assert.equal(rungScore(outcome({ lowerIsBetter: true, score: 3, rung: rung(3) })), -3);
  assert.equal(rungScore(outcome({ status: 'FAILED', score: -1000000, history: oscillating, rung: rung(3) })), undefined);
  assert.equal(rungScore(outcome({ score: NaN, rung: rung(3) })), undefined);
});
