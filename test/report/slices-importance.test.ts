// Slice orientation and overlay colours, foreground centre, binary Dice, and the
// parameter-importance estimate on scores made from one parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryDice, foregroundCentre, renderSlice } from '../../src/report/slices.js';
import { parameterImportance } from '../../src/report/importance.js';
import { Rng } from '../../src/util/random.js';

const shape = [4, 5, 6];
const idx = (i: number, j: number, k: number) => (i * 5 + j) * 6 + k;

test('slices: axial is fixed k with j up, coronal fixed j and sagittal fixed i with k up; GT green, prediction red, both yellow', () => {
  const img = new Float32Array(4 * 5 * 6).map((_, x) => x);
  const lab = new Uint8Array(img.length),
    pred = new Uint8Array(img.length);
  lab[idx(1, 2, 3)] = 1;
  pred[idx(1, 2, 3)] = 1; // both
  lab[idx(2, 2, 3)] = 1; // ground truth only
  pred[idx(1, 3, 3)] = 1; // prediction only
  assert.deepEqual(foregroundCentre(shape, lab, pred), [2, 2, 3]);
  const ax = renderSlice('axial', shape, img, lab, pred, [1, 2, 3], 1);
  assert.deepEqual([ax.width, ax.height], [4, 5]);
  const px = (im: { width: number; rgb: Uint8Array }, c: number, r: number) => [...im.rgb.subarray((r * im.width + c) * 3, (r * im.width + c) * 3 + 3)];
  const row = (j: number) => 5 - 1 - j;
  const [r0, g0, b0] = px(ax, 1, row(2));
  assert.ok(r0 > 140 && g0 > 120 && b0 < 120, `overlap is yellow: ${[r0, g0, b0]}`);
  const [r1, g1] = px(ax, 2, row(2));
  assert.ok(g1 > 120 && r1 < g1, 'ground truth only is green');
  const [r2, g2] = px(ax, 1, row(3));
  assert.ok(r2 > 140 && g2 < r2, 'prediction only is red');
  const [r3, g3, b3] = px(ax, 0, row(0));
  assert.ok(r3 === g3 && g3 === b3, 'no mask: grey');
  const co = renderSlice('coronal', shape, img, lab, pred, [1, 2, 3], 1);
  assert.deepEqual([co.width, co.height], [4, 6]);
  assert.ok(px(co, 2, 6 - 1 - 3)[1] > 120, 'coronal shows (2, j=2, 3) as ground truth');
  const sa = renderSlice('sagittal', shape, img, lab, pred, [1, 2, 3], 1);
  assert.deepEqual([sa.width, sa.height], [5, 6]);
  assert.ok(px(sa, 3, 6 - 1 - 3)[0] > 140, 'sagittal shows (1, 3, 3) as prediction');
  // Upscaled by an integer factor to at least minSize.
  const big = renderSlice('axial', shape, img, lab, pred, [1, 2, 3], 160);
  assert.deepEqual([big.width, big.height], [4 * 32, 5 * 32]);
  assert.equal(binaryDice(lab, pred), (2 * 1) / (2 + 2));
  assert.equal(binaryDice(new Uint8Array(3), new Uint8Array(3)), undefined);
});

test('importance: the parameter that makes the score explains most of its variance', () => {
  const rng = new Rng(3);
  const rows = Array.from({ length: 24 }, () => {
    const lr = rng.random(),
      loss = Math.floor(rng.random() * 2),
      amp = Math.floor(rng.random() * 2);
    return { values: { lr, loss, amp }, score: 0.5 * lr + 0.02 * rng.random() + 0.3 * loss };
  });
  const imp = parameterImportance(
    [
      { key: 'lr', label: 'learning_rate', kind: 'num' },
      { key: 'loss', label: 'loss', kind: 'cat', categories: ['dice', 'focal'] },
      { key: 'amp', label: 'amp', kind: 'cat', categories: ['off', 'on'] },
    ],
    rows,
  );
  assert.deepEqual(imp.map((x) => x.key).sort(), ['amp', 'loss', 'lr']);
  const by = Object.fromEntries(imp.map((x) => [x.key, x.eta2]));
  assert.ok(by.amp < 0.15, `amp does nothing: ${by.amp}`);
  assert.ok(by.lr > 0.3 && by.loss > 0.3, JSON.stringify(by));
  assert.ok(imp.every((x) => x.eta2 >= 0 && x.eta2 <= 1));
  assert.equal(imp.find((x) => x.key === 'lr')!.groups, 4);
  assert.deepEqual(parameterImportance([{ key: 'lr', label: 'lr', kind: 'num' }], rows.slice(0, 2)), []);
});
