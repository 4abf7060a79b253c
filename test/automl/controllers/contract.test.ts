// The contract every built-in controller keeps: seeded determinism, budgets, failed jobs
// handled, conditional parameters only when active, values within the space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConcreteValues, SearchSpace } from '../../../src/config/search-types.js';
import { GridController } from '../../../src/automl/controllers/grid.js';
import { RandomController } from '../../../src/automl/controllers/random.js';
import { ReinforcementController } from '../../../src/automl/controllers/reinforcement.js';
import { TPEController } from '../../../src/automl/controllers/tpe.js';
import { configSearchSource } from '../../../src/automl/search-source.js';
import { FAILED_SCORE, type Context, type Controller, type Outcome, type Recommendation } from '../../../src/automl/types.js';
import { trainConfig } from '../fixtures/mmar.js';

const space: SearchSpace = configSearchSource.parse(trainConfig(), 'trn_automl.json');
const lrKey = space.items.find((i) => i.args[0] === 'learning_rate')!.key;
const lossKey = space.items.find((i) => i.args[0] === 'useDice')!.key;
const ampKey = space.items.find((i) => i.args[0] === 'use_amp')!.key;
const gammaKey = space.items.find((i) => i.args[0] === 'gamma')!.key;

type Make = (args: Record<string, unknown>) => Controller;
const CONTROLLERS: Record<string, Make> = {
  RandomController: (a) => new RandomController(a),
  GridController: (a) => new GridController({ float_points: 3, shuffle: true, ...a }),
  ReinforcementController: (a) => new ReinforcementController(a),
  TPEController: (a) => new TPEController({ n_startup_trials: 4, ...a }),
};

function ctx(workers: number): Context {
  return { RUN_ID: 't', RUN_ROOT: '/tmp', MMAR_ROOT: '/tmp', props: { numWorkers: workers } };
}

/** A toy objective: best at lr=1e-3 with the Focal loss (choice 1) and amp on (choice 0). */
function objective(v: ConcreteValues): number {
  const lr = Number(v[lrKey]);
  return (
    1 -
    Math.abs(Math.log10(lr) + 3) / 4 +
    (v[lossKey] === 1 ? 0.2 : 0) +
    (v[ampKey] === 0 ? 0.1 : 0) -
    (gammaKey in v ? Math.abs(Number(v[gammaKey]) - 2) * 0.05 : 0)
  );
}

/** Simulates `workers` parallel slots, outcomes back in start order; `fail(i)` marks job i failed. */
async function drive(c: Controller, workers: number, fail: (i: number) => boolean = () => false, cap = 500): Promise<Recommendation[]> {
  const cx = ctx(workers);
  c.setSearchSpace(space, cx);
  const queue = [...(await c.initialRecommendation(cx))];
  const all: Recommendation[] = [...queue];
  const running: Recommendation[] = [];
  let n = 0;
  while ((queue.length || running.length) && n < cap) {
    while (queue.length && running.length < workers) running.push(queue.shift()!);
    const rec = running.shift()!;
    const failed = fail(n++);
    const o: Outcome = {
      recommendation: rec,
      jobName: `J${rec.id}`,
      score: failed ? FAILED_SCORE : objective(rec.values),
      status: failed ? 'FAILED' : 'FINISHED',
    };
    const more = await c.refineRecommendation(o, cx);
    all.push(...more);
    queue.push(...more);
  }
  return all;
}

for (const [name, make] of Object.entries(CONTROLLERS)) {
  test(`${name}: the same seed gives the same recommendations; another seed others`, async () => {
    const a = await drive(make({ seed: 3, max_rounds: 4, max_jobs_per_round: 3 }), 2);
    const b = await drive(make({ seed: 3, max_rounds: 4, max_jobs_per_round: 3 }), 2);
    assert.deepEqual(a, b);
    const c = await drive(make({ seed: 4, max_rounds: 4, max_jobs_per_round: 3 }), 2);
    assert.notDeepEqual(
      a.map((r) => r.values),
      c.map((r) => r.values),
    );
  });

  test(`${name}: budgets are respected`, async () => {
    const recs = await drive(make({ seed: 1, max_rounds: 3, max_jobs_per_round: 2 }), 2);
    assert.ok(recs.length > 0);
    assert.ok(recs.length <= 6, `${recs.length} recommendations for 3 rounds × 2 jobs`);
    const capped = await drive(make({ seed: 1, max_trials: 5, max_jobs_per_round: 2 }), 2);
    assert.ok(capped.length <= 5 && capped.length > 0, `${capped.length} recommendations for max_trials 5`);
    assert.deepEqual(
      recs.map((r) => r.id),
      recs.map((_, i) => i),
      'ids are 0, 1, 2, ...',
    );
  });

  test(`${name}: failed jobs (-1000000) do not stop or poison the search`, async () => {
    const recs = await drive(make({ seed: 2, max_rounds: 4, max_jobs_per_round: 3 }), 3, (i) => i % 3 === 0);
    assert.ok(recs.length >= 6, `only ${recs.length} recommendations`);
    for (const r of recs) for (const v of Object.values(r.values)) assert.ok(typeof v !== 'number' || Number.isFinite(v));
  });

  test(`${name}: values lie within the space and conditional parameters appear only when active`, async () => {
    const recs = await drive(make({ seed: 5, max_rounds: 6, max_jobs_per_round: 3 }), 3);
    let sawGamma = 0,
      sawNoGamma = 0;
    for (const r of recs) {
      const lr = Number(r.values[lrKey]);
      assert.ok(lr >= 1e-5 && lr <= 1e-1, `lr ${lr}`);
      assert.ok([0, 1].includes(r.values[lossKey] as number));
      assert.ok([0, 1].includes(r.values[ampKey] as number));
      // Choice 1 = useDice:true (Dice disabled), useFocal:false (Focal on) → gamma is active.
      if (r.values[lossKey] === 1) {
        assert.ok(gammaKey in r.values, `gamma missing with Focal on: ${JSON.stringify(r.values)}`);
        const g = Number(r.values[gammaKey]);
        assert.ok(g >= 1 && g <= 3);
        sawGamma++;
      } else {
        assert.ok(!(gammaKey in r.values), `gamma present with Focal off: ${JSON.stringify(r.values)}`);
        sawNoGamma++;
      }
    }
    assert.ok(sawGamma + sawNoGamma === recs.length);
  });

  test(`${name}: stop_threshold stops recommending`, async () => {
    const recs = await drive(make({ seed: 1, max_rounds: 50, max_jobs_per_round: 1, stop_threshold: -100 }), 1);
    assert.equal(recs.length, 1);
  });
}

test('GridController enumerates enums × discretised floats, once per active combination', async () => {
  const g = new GridController({ float_points: 3 });
  g.setSearchSpace(space, ctx(1));
  const pts = g.points();
  // Dice (no gamma): 3 lr × 2 amp = 6; Focal: 3 lr × 2 amp × 3 gamma = 18.
  assert.equal(pts.length, 24);
  const lrs = [...new Set(pts.map((p) => Number(p[lrKey])))].sort((a, b) => a - b);
  assert.equal(lrs.length, 3);
  assert.ok(Math.abs(lrs[1] - 1e-3) < 1e-12, `log-spaced middle ${lrs[1]}`);
});

test('TPEController: a constant liar gives parallel workers different points', async () => {
  const c = new TPEController({ seed: 11, n_startup_trials: 3, max_trials: 30, max_jobs_per_round: 4 });
  const recs = await drive(c, 4);
  const keys = recs.map((r) => JSON.stringify(r.values));
  assert.equal(new Set(keys).size, keys.length);
});

test('TPEController finds a better lr than random search on the toy objective (median of 7 seeds)', async () => {
  const best = async (make: (s: number) => Controller) => {
    const out: number[] = [];
    for (let s = 0; s < 7; s++) out.push(Math.max(...(await drive(make(s), 1)).map((r) => objective(r.values))));
    return out.sort((a, b) => a - b)[3];
  };
  const tpe = await best((s) => new TPEController({ seed: s, max_trials: 30, max_jobs_per_round: 1 }));
  const rnd = await best((s) => new RandomController({ seed: s, max_trials: 30, max_jobs_per_round: 1 }));
  assert.ok(tpe > rnd, `TPE ${tpe} vs random ${rnd}`);
});

test('ReinforcementController moves its policies toward the better choices', async () => {
  const c = new ReinforcementController({ seed: 9, max_rounds: 25, max_jobs_per_round: 6 });
  await drive(c, 6);
  const p = c.policy();
  const soft = (l: number[]) => {
    const e = l.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  assert.ok(soft(p.logits[lossKey])[1] > 0.6, `P(Focal) = ${soft(p.logits[lossKey])[1]}`);
  assert.ok(soft(p.logits[ampKey])[0] > 0.6, `P(amp on) = ${soft(p.logits[ampKey])[0]}`);
  // lr optimum 1e-3 sits at unit 0.5 of [1e-5, 1e-1] (log): the mean stays near it.
  assert.ok(Math.abs(p.mu[lrKey] - 0.5) < 0.2, `mu(lr) = ${p.mu[lrKey]}`);
});

test('controller args are checked with the file and JSON path', () => {
  assert.throws(
    () => new TPEController({ gama: 0.2 }, { file: 'config_automl.json', path: 'controller' }),
    /config_automl\.json: controller\.args\.gama: TPEController has no argument 'gama'.*closest: gamma/,
  );
  assert.throws(
    () => new RandomController({ max_rounds: 0 }, { file: 'c.json', path: 'controller' }),
    /c\.json: controller\.args\.max_rounds: 'max_rounds' must be an integer >= 1, got 0/,
  );
  // One reader, one set of rules: a numeric string is a number, "true" a boolean, 1 is not a boolean.
  assert.equal(new RandomController({ max_rounds: '3' }).maxRounds, 3);
  assert.throws(
    () => new GridController({ shuffle: 1 }, { file: 'c.json', path: 'controller' }),
    /c\.json: controller\.args\.shuffle: 'shuffle' must be true or false, got 1/,
  );
  assert.equal(new GridController({ shuffle: 'true' }).shuffle, true);
});

test('ReinforcementController learns with one job per round too (a single worker)', async () => {
  const soft = (l: number[]) => {
    const e = l.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  let wins = 0;
  for (let seed = 0; seed < 5; seed++) {
    const c = new ReinforcementController({ seed, max_rounds: 60, max_jobs_per_round: 1 });
    await drive(c, 1);
    if (soft(c.policy().logits[lossKey])[1] > 0.6) wins++;
  }
  assert.ok(wins >= 4, `P(Focal) > 0.6 in ${wins}/5 seeds`);
});
