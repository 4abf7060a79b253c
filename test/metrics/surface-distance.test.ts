// HD95 / HD / NSD against MONAI (live when importable, else the committed fixture), and the
// distance transform against a brute-force nearest-edge search.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classMask,
  classSurfaceDistances,
  hausdorffFromPair,
  maskEdges,
  quantile,
  spacingOf,
  surfaceDiceFromPair,
  surfaceDistances,
} from '../../src/metrics/surface-distance.js';
import { hausdorffMetric, surfaceDiceMetric } from '../../src/metrics/surface-metrics.js';
import { surfaceMetricFromConfig } from '../../src/metrics/surface-config.js';
import { monaiFixture } from '../helpers/monai-fixtures.js';
import { Rng } from '../../src/util/random.js';

type V = number | null | 'inf';
interface Fx {
  shape: number[];
  classes: number[];
  cases: { spacing: number[]; pred: number[]; label: number[]; hd95: V[]; hd: V[]; nsd: Record<string, V[]> }[];
}
const { data, source } = monaiFixture<Fx>('make_surface_fixtures.py', 'surface.json');

function same(got: number, want: V, what: string): void {
  if (want === null) assert.ok(Number.isNaN(got), `${what}: ${got}, MONAI NaN`);
  else if (want === 'inf') assert.equal(got, Infinity, `${what}: ${got}, MONAI inf`);
  else assert.ok(Math.abs(got - want) < 1e-4, `${what}: ${got}, MONAI ${want}`);
}

test(`HD95, HD and NSD per class equal MONAI's compute_hausdorff_distance / compute_surface_dice (${source})`, () => {
  data.cases.forEach((c, i) => {
    const pred = Int32Array.from(c.pred),
      label = Int32Array.from(c.label);
    data.classes.forEach((cls, k) => {
      const pair = classSurfaceDistances(pred, label, cls, data.shape, c.spacing);
      same(hausdorffFromPair(pair, 95), c.hd95[k], `case ${i} class ${cls} hd95`);
      same(hausdorffFromPair(pair), c.hd[k], `case ${i} class ${cls} hd`);
      for (const [tol, vals] of Object.entries(c.nsd)) same(surfaceDiceFromPair(pair, Number(tol)), vals[k], `case ${i} class ${cls} nsd@${tol}`);
    });
  });
});

test('the case metrics average the defined classes (MONAI mean reduction) and read config args', () => {
  const c = data.cases[3]; // class 2 in neither volume: only class 1 counts
  const geom = { shape: data.shape, spacing: c.spacing };
  const pred = Int32Array.from(c.pred),
    label = Int32Array.from(c.label);
  same(hausdorffMetric().ofCase(pred, label, 3, geom), c.hd95[0], 'mean hd95');
  same(surfaceDiceMetric({ tolerance: 2.5 }).ofCase(pred, label, 3, geom), c.nsd['2.5'][0], 'mean nsd');
  const place = { file: 'config_train.json', path: 'validate.metrics[1]' };
  const hd = surfaceMetricFromConfig('HausdorffDistance', { percentile: 95 }, undefined, place)!;
  assert.equal(hd.name, 'val_hd95');
  assert.equal(hd.lowerIsBetter, true);
  const nsd = surfaceMetricFromConfig('SurfaceDiceMetric', { class_thresholds: [1, 2.5] }, 'nsd', place)!;
  const both = nsd.ofCase(Int32Array.from(data.cases[0].pred), Int32Array.from(data.cases[0].label), 3, { shape: data.shape, spacing: data.cases[0].spacing });
  same(both, ((data.cases[0].nsd['1.0'][0] as number) + (data.cases[0].nsd['2.5'][1] as number)) / 2, 'per-class tolerances');
  assert.equal(surfaceMetricFromConfig('MeanDice', {}, undefined, place), undefined);
  assert.throws(() => surfaceMetricFromConfig('HausdorffDistance', { percentile: 120 }, undefined, place), /validate\.metrics\[1\]\.args\.percentile.*<= 100/s);
  assert.throws(() => surfaceMetricFromConfig('SurfaceDice', { class_thresholds: [-1] }, undefined, place), /class_thresholds/);
  assert.throws(() => surfaceMetricFromConfig('SurfaceDice', { tolerence: 1 }, undefined, place), /tolerence/);
  assert.throws(() => hausdorffMetric().ofCase(pred, label, 3), /shape and spacing/);
});

test('the exact distance transform equals a brute-force nearest-edge search (anisotropic spacing)', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 6; trial++) {
    const shape = [3 + Math.floor(rng.uniform() * 9), 3 + Math.floor(rng.uniform() * 9), 3 + Math.floor(rng.uniform() * 9)];
    const spacing = [0.5 + rng.uniform() * 2, 0.5 + rng.uniform() * 2, 0.5 + rng.uniform() * 2];
    const n = shape[0] * shape[1] * shape[2];
    const a = new Uint8Array(n).map(() => (rng.uniform() < 0.08 ? 1 : 0));
    const b = new Uint8Array(n).map(() => (rng.uniform() < 0.05 ? 1 : 0));
    b[Math.floor(rng.uniform() * n)] = 1;
    const got = surfaceDistances(a, b, shape, spacing);
    const coord = (i: number) => [Math.floor(i / (shape[1] * shape[2])), Math.floor(i / shape[2]) % shape[1], i % shape[2]];
    const want: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!a[i]) continue;
      let best = Infinity;
      for (let j = 0; j < n; j++) if (b[j]) best = Math.min(best, Math.hypot(...coord(i).map((x, k) => (x - coord(j)[k]) * spacing[k])));
      want.push(best);
    }
    assert.equal(got.length, want.length);
    want.forEach((w, k) => assert.ok(Math.abs(got[k] - w) < 1e-9, `trial ${trial} point ${k}: ${got[k]} vs ${w}`));
  }
});

test('edges, quantile and spacing follow their definitions', () => {
  // a 3x3x3 cube in a 5x5x5 volume: every voxel but the centre is an edge
  const m = new Uint8Array(125);
  for (let x = 1; x < 4; x++) for (let y = 1; y < 4; y++) for (let z = 1; z < 4; z++) m[x * 25 + y * 5 + z] = 1;
  const e = maskEdges(m, [5, 5, 5]);
  assert.equal(
    e.reduce((s, v) => s + v, 0),
    26,
  );
  assert.equal(e[2 * 25 + 2 * 5 + 2], 0);
  // a mask touching the border has edges there
  assert.equal(
    maskEdges(new Uint8Array(27).fill(1), [3, 3, 3]).reduce((s, v) => s + v, 0),
    26,
  );
  assert.deepEqual(Array.from(classMask(Int32Array.from([0, 2, 1, 2]), 2)), [0, 1, 0, 1]);
  assert.equal(quantile(Float64Array.from([4, 1, 3, 2]), 0.5), 2.5);
  assert.ok(Number.isNaN(quantile(new Float64Array(0), 0.95)));
  assert.ok(Number.isNaN(quantile(Float64Array.from([Infinity, Infinity]), 0.95)));
  assert.deepEqual(
    spacingOf([
      [0, 0, 2, 0],
      [0, -1.5, 0, 0],
      [3, 0, 0, 0],
      [0, 0, 0, 1],
    ]),
    [3, 1.5, 2],
  );
  assert.deepEqual(spacingOf(undefined), [1, 1, 1]);
});
