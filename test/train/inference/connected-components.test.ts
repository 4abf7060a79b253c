// The native connected-component labelling against the flood-fill reference, largest
// component selection, and nnU-Net's postprocessing decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepLargestComponent, labelComponents } from '../../../src/train/inference/connected-components.js';
import { applyPostprocessing, decidePostprocessing } from '../../../src/train/inference/postprocessing.js';
import { Rng } from '../../../src/util/random.js';
import { labelComponentsRef } from './components-ref.js';

test('native labelling equals the flood-fill reference (6/18/26-connectivity, odd shapes, densities)', () => {
  const rng = new Rng(5);
  const shapes = [
    [1, 1, 1],
    [7, 5, 3],
    [1, 13, 9],
    [16, 16, 16],
    [9, 1, 11],
    [24, 17, 20],
  ];
  for (const shape of shapes) {
    for (const p of [0, 0.15, 0.3, 0.5, 1]) {
      const n = shape[0] * shape[1] * shape[2];
      const mask = new Uint8Array(n).map(() => (rng.uniform() < p ? 1 : 0));
      for (const conn of [6, 18, 26] as const) {
        const got = labelComponents(mask, shape, conn),
          want = labelComponentsRef(mask, shape, conn);
        assert.deepEqual(got.sizes, want.sizes, `[${shape}] p=${p} conn=${conn} sizes`);
        assert.deepEqual(Array.from(got.labels), Array.from(want.labels), `[${shape}] p=${p} conn=${conn} labels`);
      }
    }
  }
  // diagonal-only contact: one component at 26, two at 18 and 6
  const m = new Uint8Array(8);
  m[0] = 1;
  m[7] = 1;
  assert.equal(labelComponents(m, [2, 2, 2], 26).sizes.length, 1);
  assert.equal(labelComponents(m, [2, 2, 2], 18).sizes.length, 2);
  assert.throws(() => labelComponents(m, [2, 2, 3]), /shape \[2,2,3\] holds 12 voxels, the volume has 8/);
  assert.throws(() => labelComponents(m, [2, 2, 2], 4 as 6), /connectivity must be 6, 18 or 26/);
});

function blobVolume(shape: number[], blobs: { c: number; at: number[]; r: number }[]): Int32Array {
  const [nx, ny, nz] = shape;
  const v = new Int32Array(nx * ny * nz);
  for (const b of blobs)
    for (let x = 0; x < nx; x++)
      for (let y = 0; y < ny; y++)
        for (let z = 0; z < nz; z++) {
          if ((x - b.at[0]) ** 2 + (y - b.at[1]) ** 2 + (z - b.at[2]) ** 2 <= b.r * b.r) v[(x * ny + y) * nz + z] = b.c;
        }
  return v;
}

test('keepLargestComponent removes the smaller components of the chosen classes only', () => {
  const shape = [20, 20, 20];
  const pred = blobVolume(shape, [
    { c: 1, at: [5, 5, 5], r: 4 },
    { c: 1, at: [15, 15, 15], r: 2 },
    { c: 2, at: [15, 4, 4], r: 3 },
    { c: 2, at: [4, 15, 15], r: 1 },
  ]);
  const only1 = keepLargestComponent(pred, shape, [1]);
  const count = (v: Int32Array, c: number) => v.reduce((s, x) => s + (x === c ? 1 : 0), 0);
  assert.equal(count(only1, 1), count(blobVolume(shape, [{ c: 1, at: [5, 5, 5], r: 4 }]), 1));
  assert.equal(count(only1, 2), count(pred, 2));
  assert.equal(only1[(15 * 20 + 15) * 20 + 15], 0);
  const both = keepLargestComponent(pred, shape, [1, 2]);
  assert.equal(count(both, 2), count(blobVolume(shape, [{ c: 2, at: [15, 4, 4], r: 3 }]), 2));
  assert.equal(pred[(15 * 20 + 15) * 20 + 15], 1, 'the input is not changed');
});

test('the postprocessing decision keeps the rule where it does not lower Dice, and infer applies it', () => {
  const shape = [20, 20, 20];
  // class 1: the labels are one blob, the predictions add a spurious island → the rule helps.
  // class 2: the labels have two blobs and so do the predictions → the rule lowers Dice.
  const label = blobVolume(shape, [
    { c: 1, at: [6, 6, 6], r: 4 },
    { c: 2, at: [15, 15, 5], r: 3 },
    { c: 2, at: [15, 4, 15], r: 2 },
  ]);
  const pred = blobVolume(shape, [
    { c: 1, at: [6, 6, 7], r: 4 },
    { c: 1, at: [16, 16, 16], r: 1 },
    { c: 2, at: [15, 15, 5], r: 3 },
    { c: 2, at: [15, 4, 15], r: 2 },
  ]);
  const d = decidePostprocessing(
    [
      { pred, label, shape },
      { pred, label, shape },
    ],
    3,
  );
  assert.deepEqual(d.largest_component_classes, [1]);
  assert.equal(d.per_class[0].applied, true);
  assert.ok(d.per_class[0].dice_after! > d.per_class[0].dice_before!);
  assert.equal(d.per_class[1].applied, false);
  assert.ok(d.mean_dice_after! > d.mean_dice_before!);
  const out = applyPostprocessing(pred, shape, d);
  assert.equal(out[(16 * 20 + 16) * 20 + 16], 0);
  assert.equal(out[(15 * 20 + 4) * 20 + 15], 2);
  assert.equal(applyPostprocessing(pred, shape, undefined), pred);
});
