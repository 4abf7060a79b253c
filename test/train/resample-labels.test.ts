import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invertAffine, resampleLabels, sameGrid } from '../../src/train/resample-labels.js';

const I = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

test('invertAffine inverts a scaled, translated affine', () => {
  const a = [
    [2, 0, 0, 5],
    [0, 3, 0, -1],
    [0, 0, 0.5, 2],
    [0, 0, 0, 1],
  ];
  const inv = invertAffine(a);
  assert.deepEqual(
    inv.map((r) => r.map((x) => Math.round(x * 1e9) / 1e9)),
    [
      [0.5, 0, 0, -2.5],
      [0, 1 / 3, 0, 1 / 3],
      [0, 0, 2, -4],
      [0, 0, 0, 1],
    ].map((r) => r.map((x) => Math.round(x * 1e9) / 1e9)),
  );
});

test('labels on a 2 mm grid go back to the 1 mm grid by nearest neighbour; identity keeps them', () => {
  // source 2x2x2 at 2 mm, label = 1 at voxel (1,1,1) only
  const src = new Uint8Array(8);
  src[7] = 1;
  const srcA = [
    [2, 0, 0, 0],
    [0, 2, 0, 0],
    [0, 0, 2, 0],
    [0, 0, 0, 1],
  ];
  const out = resampleLabels(src, [2, 2, 2], srcA, [4, 4, 4], I);
  // world x in {0,1,2,3} → src index round(x/2) = {0, 0 or 1 (0.5 rounds to 1), 1, 2→outside}
  const at = (i: number, j: number, k: number) => out[(i * 4 + j) * 4 + k];
  assert.equal(at(2, 2, 2), 1);
  assert.equal(at(0, 0, 0), 0);
  assert.equal(at(3, 3, 3), 0); // maps to index 2 (outside) → 0... round(1.5)=2
  assert.deepEqual(Array.from(resampleLabels(src, [2, 2, 2], srcA, [2, 2, 2], srcA)), Array.from(src));
  assert.ok(sameGrid(I, [4, 4, 4], I, [4, 4, 4]));
  assert.ok(!sameGrid(I, [4, 4, 4], srcA, [4, 4, 4]));
});

test('a cropped (translated) grid is put back at its offset', () => {
  const src = Uint8Array.from([1, 2]); // shape [2,1,1] at x = 3, 4
  const srcA = [
    [1, 0, 0, 3],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
  const out = resampleLabels(src, [2, 1, 1], srcA, [6, 1, 1], I);
  assert.deepEqual(Array.from(out), [0, 0, 0, 1, 2, 0]);
});
