// nnU-Net's planning rules (src/plan/topology.ts) on hand-worked cases; the same rules are
// compared with nnU-Net itself in nnunet-oracle.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialPatch, padShape, poolAndConvProps, pyRound, reducePatch, resampledShape, targetSpacing } from '../../src/plan/topology.js';

test('target spacing: the median, unless one axis is 3x coarser and 3x shorter (then its 10th percentile)', () => {
  const iso = targetSpacing(
    [
      [1, 1, 1],
      [0.5, 0.5, 0.5],
      [1, 1, 1],
    ],
    [
      [100, 100, 100],
      [200, 200, 200],
      [90, 90, 90],
    ],
  );
  assert.deepEqual(iso.spacing, [1, 1, 1]);
  assert.equal(iso.anisotropicAxis, null);
  // ACDC-like: thick slices along axis 2
  const sp = [
    [1.5, 1.5, 10],
    [1.5, 1.5, 5],
    [1.5, 1.5, 10],
    [1.5, 1.5, 6.5],
    [1.5, 1.5, 10],
  ];
  const sh = [
    [200, 200, 10],
    [200, 200, 18],
    [200, 200, 9],
    [200, 200, 14],
    [200, 200, 10],
  ];
  const a = targetSpacing(sp, sh);
  assert.equal(a.anisotropicAxis, 2);
  // numpy.percentile([10, 5, 10, 6.5, 10], 10) = 5 + 0.4 * (6.5 - 5) = 5.6
  assert.ok(Math.abs(a.spacing[2] - 5.6) < 1e-12, String(a.spacing));
  assert.deepEqual(a.spacing.slice(0, 2), [1.5, 1.5]);
  // coarse but not short: the rule does not apply
  assert.equal(
    targetSpacing(
      sp,
      sh.map(() => [20, 20, 20]),
    ).anisotropicAxis,
    null,
  );
});

test('pool/conv topology, padding and the initial patch', () => {
  const t = poolAndConvProps([1, 1, 1], [48, 48, 48]);
  assert.deepEqual(t.numPoolPerAxis, [3, 3, 3]);
  assert.deepEqual(t.patchSize, [48, 48, 48]);
  const t2 = poolAndConvProps([1, 1, 1], [150, 180, 136]);
  assert.deepEqual(t2.numPoolPerAxis, [5, 5, 5]);
  assert.deepEqual(t2.patchSize, [160, 192, 160]);
  // an anisotropic spacing pools the thick axis only once it is within 2x of the others
  const t3 = poolAndConvProps([1, 1, 4], [128, 128, 32]);
  assert.deepEqual(t3.numPoolPerAxis, [5, 5, 3]);
  assert.deepEqual(t3.convKernels[0], [3, 3, 1]);
  assert.deepEqual(padShape([47, 48, 1], [16, 16, 4]), [48, 48, 4]);
  assert.deepEqual(resampledShape([100, 100, 20], [1, 1, 5], [1, 1, 2.5]), [100, 100, 40]);
  // 256³ voxels in the 1/spacing aspect ratio, clipped to the median shape
  assert.deepEqual(initialPatch([1, 1, 1], [300, 300, 300]).patch, [256, 256, 256]);
  assert.deepEqual(initialPatch([1, 1, 1], [48, 48, 48]).patch, [48, 48, 48]);
  assert.equal(pyRound(2.5), 2);
  assert.equal(pyRound(3.5), 4);
  // reduce the axis largest relative to the median shape by its divisibility step
  assert.deepEqual(reducePatch([1, 1, 1], [160, 192, 160], [157, 189, 136]).patchSize, [160, 192, 128]);
});
