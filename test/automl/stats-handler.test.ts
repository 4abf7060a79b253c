import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtValues, leaderboard } from '../../src/automl/handlers/stats-handler.js';
import { configSearchSource } from '../../src/automl/search-source.js';
import type { Outcome } from '../../src/automl/types.js';
import { trainConfig } from './fixtures/mmar.js';

const space = configSearchSource.parse(trainConfig(), 'trn_automl.json');
const key = (arg: string) => space.items.find((i) => i.args[0] === arg)!.key;

test('leaderboard: best first, failed jobs without a score, enums shown by their values', () => {
  const o = (name: string, score: number, status: Outcome['status'], values: Record<string, number>): Outcome => ({
    recommendation: { id: 0, values },
    jobName: name,
    score,
    status,
  });
  const lines = leaderboard(
    [
      o('W0_1_J0', 0.5, 'FINISHED', { [key('learning_rate')]: 0.00123, [key('use_amp')]: 0 }),
      o('W1_1_J1', -1000000, 'FAILED', { [key('learning_rate')]: 0.1, [key('use_amp')]: 1 }),
      o('W0_2_J2', 0.75, 'FINISHED', { [key('learning_rate')]: 0.001, [key('useDice')]: 1, [key('gamma')]: 2.5 }),
    ],
    Infinity,
    space,
  );
  assert.match(lines[0], /^#\s+job\s+status\s+score\s+values$/);
  assert.match(lines[2], /^1\s+W0_2_J2\s+FINISHED\s+0\.7500\s+learning_rate=0\.00100 useDice=true useFocal=false gamma=2\.50$/);
  assert.match(lines[3], /^2\s+W0_1_J0\s+FINISHED\s+0\.5000\s+learning_rate=0\.00123 use_amp=true$/);
  assert.match(lines[4], /^3\s+W1_1_J1\s+FAILED\s+-\s+/);
  assert.equal(fmtValues({ x: 1 }), 'x=1');
});
