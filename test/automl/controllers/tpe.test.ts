// TPEController's startup design (maximin Latin hypercube) and magic clip over all
// observations: properties and their effect, on real (seeded) runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SearchSpace } from '../../../src/config/search-types.js';
import { TPEController, minPairDistance } from '../../../src/automl/controllers/tpe.js';
import type { Context, Outcome } from '../../../src/automl/types.js';
import { fitNumeric } from '../../../src/automl/controllers/parzen.js';

function floatItem(key: string, lo: number, hi: number) {
  return {
    key,
    domain: 'lr',
    type: 'float' as const,
    args: [key],
    targets: [{ kind: 'var' as const, name: key }],
    range: [lo, hi] as [number, number],
    path: `search.${key}`,
  };
}
const space: SearchSpace = { items: [floatItem('a', 0, 1), floatItem('b', 0, 1), floatItem('c', 0, 1)] };
const ctx: Context = { RUN_ID: 't', RUN_ROOT: '/tmp', MMAR_ROOT: '/tmp', props: { numWorkers: 1 } };

/** Runs one job at a time on f (minimised); returns the points in order. */
async function run(c: TPEController, f: (x: number[]) => number, n: number): Promise<{ xs: number[][]; ys: number[] }> {
  c.setSearchSpace(space, ctx);
  const queue = [...(await c.initialRecommendation(ctx))];
  const xs: number[][] = [],
    ys: number[] = [];
  while (queue.length && xs.length < n) {
    const rec = queue.shift()!;
    const x = ['a', 'b', 'c'].map((k) => Number(rec.values[k]));
    const y = f(x);
    xs.push(x);
    ys.push(y);
    const o: Outcome = { recommendation: rec, jobName: `J${rec.id}`, score: -y, status: 'FINISHED' };
    queue.push(...(await c.refineRecommendation(o, ctx)));
  }
  return { xs, ys };
}

test('the maximin startup is a Latin hypercube spread wider than a plain one', async () => {
  let maximin = 0,
    plain = 0;
  for (let seed = 0; seed < 8; seed++) {
    const m = (await run(new TPEController({ seed, n_startup_trials: 10, max_trials: 10 }), () => 0, 10)).xs;
    const p = (await run(new TPEController({ seed, n_startup_trials: 10, max_trials: 10, startup: 'lhs' }), () => 0, 10)).xs;
    for (const pts of [m, p]) {
      for (let k = 0; k < 3; k++)
        assert.deepEqual(
          pts.map((x) => Math.floor(x[k] * 10)).sort((a, b) => a - b),
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        );
    }
    maximin += minPairDistance(m);
    plain += minPairDistance(p);
  }
  assert.ok(maximin > 1.5 * plain, `mean closest-pair distance² maximin ${maximin / 8} vs lhs ${plain / 8}`);
});

test('minPairDistance', () => {
  assert.equal(
    minPairDistance([
      [0, 0],
      [3, 4],
      [0, 1],
    ]),
    1,
  );
  assert.equal(minPairDistance([[0.5]]), Infinity);
  assert.equal(minPairDistance([[], []]), Infinity);
});

test('a minSigma floor replaces the estimator-size magic clip', () => {
  const own = fitNumeric([0.5, 0.5001], [1, 1], { priorWeight: 1, bandwidth: 'neighbour' });
  const all = fitNumeric([0.5, 0.5001], [1, 1], { priorWeight: 1, bandwidth: 'neighbour', minSigma: 1 / 50 });
  assert.ok(Math.abs(own.sigmas[0] - 1 / 4) < 1e-12, `own ${own.sigmas[0]}`);
  assert.ok(Math.abs(all.sigmas[0] - 1 / 50) < 1e-12, `all ${all.sigmas[0]}`);
  assert.equal(all.sigmas[2], 1, 'the prior kernel keeps width 1');
});

test("magic_clip 'all' refines a basin closer than Optuna's 'own' (median of 7 seeds, 40 trials)", async () => {
  const f = (x: number[]) => (x[0] - 0.3) ** 2 + (x[1] - 0.7) ** 2 + (x[2] - 0.45) ** 2;
  const best = async (clip: string) => {
    const out: number[] = [];
    for (let seed = 0; seed < 7; seed++) out.push(Math.min(...(await run(new TPEController({ seed, max_trials: 40, magic_clip: clip }), f, 40)).ys));
    return out.sort((a, b) => a - b)[3];
  };
  const all = await best('all'),
    own = await best('own');
  assert.ok(all < own / 2, `all ${all} vs own ${own}`);
});

test('startup and magic_clip are checked with the JSON path', () => {
  assert.throws(
    () => new TPEController({ startup: 'sobol' }, { file: 'config_automl.json', path: 'controller' }),
    /config_automl\.json: controller\.args\.startup: expected startup 'maximin', 'lhs' or 'random', got "sobol"/,
  );
  assert.throws(
    () => new TPEController({ magic_clip: 'none' }, { file: 'config_automl.json', path: 'controller' }),
    /config_automl\.json: controller\.args\.magic_clip: expected magic_clip 'all' or 'own', got "none"/,
  );
});
