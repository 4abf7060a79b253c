// initial_recommendations (src/automl/initial-recommendations.ts): checked against the
// search space with errors naming the entry and field, run first with any controller,
// the controller's own ids shifted after them, TPE told their results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInitialRecommendations, SeededController } from '../../src/automl/initial-recommendations.js';
import { TPEController } from '../../src/automl/controllers/tpe.js';
import { RandomController } from '../../src/automl/controllers/random.js';
import { configSearchSource } from '../../src/automl/search-source.js';
import { runAutoML } from '../../src/automl/run.js';
import { ClaraError } from '../../src/util/errors.js';
import type { Context, Outcome } from '../../src/automl/types.js';
import { automlConfig, makeMmar, trainConfig } from './fixtures/mmar.js';

const place = { file: 'config_automl.json', path: 'initial_recommendations' };
const space = configSearchSource.parse(trainConfig(), 'trn_automl.json');
const LR = 'lr.float.$0:learning_rate';
const keyOf = (arg: string) => space.items.find((i) => i.args.includes(arg))!.key;

test('variable names → concrete values; enums by the values of all their args; left out = the config value', () => {
  const [v] = parseInitialRecommendations([{ learning_rate: 0.002, useDice: true, useFocal: false }], space, place);
  assert.equal(v[LR], 0.002);
  assert.equal(v[keyOf('useDice')], 1, 'choice [true, false] of [[false, true], [true, false]]');
  assert.equal(v[keyOf('use_amp')], 1, 'use_amp left out: the config has false, choice 1 of [[true], [false]]');
  assert.equal(v[keyOf('gamma')], 2, 'gamma left out: the config value 2.0 in [1, 3]');
  const [w] = parseInitialRecommendations([{ [LR]: 0.01 }], space, place);
  assert.equal(w[LR], 0.01, 'the Clara search key works too');
  assert.deepEqual(parseInitialRecommendations(undefined, space, place), []);
});

test('values outside the search space are errors naming the entry, the field and what is allowed', () => {
  const err = (raw: unknown, re: RegExp) =>
    assert.throws(
      () => parseInitialRecommendations(raw, space, place),
      (e: unknown) => e instanceof ClaraError && re.test(e.message),
      String(re),
    );
  err(
    [{ learning_rate: 0.5 }],
    /initial_recommendations\[0\]\.learning_rate: expected a number in the search range \[0\.00001, 0\.1\], got 0\.5|initial_recommendations\[0\]\.learning_rate: expected a number in the search range \[1e-5, 0\.1\], got 0\.5/,
  );
  err(
    [{}, { useDice: true, useFocal: true }],
    /initial_recommendations\[1\]\.useDice: useDice, useFocal = \[true,true\] is none of the choices \[\[false,true\],\[true,false\]\]/,
  );
  err([{ useDice: true }], /initial_recommendations\[0\]\.useDice: useDice, useFocal = \[true,null\] is none of the choices/);
  err([{ lr: 0.001 }], /initial_recommendations\[0\]\.lr: 'lr' is not searched; the search variables are learning_rate, useDice, useFocal, use_amp, gamma/);
  err({ learning_rate: 0.001 }, /initial_recommendations: expected a list of configurations/);
  err([{ [keyOf('use_amp')]: 2 }], /expected a choice index from 0 to 1, got 2/);
});

const ctx = (): Context => ({ RUN_ID: 'r', RUN_ROOT: '/tmp', MMAR_ROOT: '/tmp', props: { seed: 3, numWorkers: 1 } });
const outcome = (id: number, values: Record<string, unknown>, score: number): Outcome => ({
  recommendation: { id, values: values as Outcome['recommendation']['values'] },
  jobName: `J${id}`,
  score,
  status: 'FINISHED',
});

test("SeededController: seeds take ids 0..k-1, the controller's ids follow and map back; TPE observes the seeds", async () => {
  const seeds = parseInitialRecommendations([{ learning_rate: 0.001 }, { learning_rate: 0.002 }], space, place);
  const inner = new RandomController({ max_trials: 3, max_jobs_per_round: 1, seed: 3 }, place);
  const c = new SeededController(inner, seeds);
  c.setSearchSpace(space, ctx());
  const first = await c.initialRecommendation(ctx());
  assert.deepEqual(
    first.map((r) => r.id),
    [0, 1, 2],
  );
  assert.equal(first[0].values[LR], 0.001);
  assert.deepEqual(await c.refineRecommendation(outcome(0, first[0].values, 0.5), ctx()), [], "a seed's result asks for nothing new");
  const next = await c.refineRecommendation(outcome(2, first[2].values, 0.4), ctx());
  assert.deepEqual(
    next.map((r) => r.id),
    [3],
  );

  const tpe = new TPEController({ max_trials: 4, n_startup_trials: 1, seed: 1 }, place);
  const t = new SeededController(tpe, seeds);
  t.setSearchSpace(space, ctx());
  const init = await t.initialRecommendation(ctx());
  await t.refineRecommendation(outcome(0, init[0].values, 0.9), ctx());
  await t.refineRecommendation(outcome(1, init[1].values, 0.1), ctx());
  const trials = (tpe as unknown as { trials: { score?: number }[] }).trials;
  assert.deepEqual(
    trials.filter((x) => x.score !== undefined).map((x) => x.score),
    [0.9, 0.1],
    'TPE holds both seeds as observations',
  );
});

test('a search runs the initial recommendations first, with their values', async () => {
  const mmar = makeMmar({
    automl: {
      ...automlConfig({ controller: { name: 'RandomController', args: { max_trials: 2, seed: 5 } } }),
      initial_recommendations: [{ learning_rate: 0.001, use_amp: true }],
    },
  });
  const s = await runAutoML({ mmarRoot: mmar, runId: 'ir', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu', log: () => {} });
  assert.equal(s.outcomes.length, 3);
  assert.equal(s.outcomes[0].recommendation.id, 0);
  assert.equal(s.outcomes[0].jobName, 'W0_1_J0');
  assert.equal(s.outcomes[0].recommendation.values[LR], 0.001);
  assert.equal(s.best?.recommendation.id, 0, "lr 1e-3 with amp is the fake train's best");
});
