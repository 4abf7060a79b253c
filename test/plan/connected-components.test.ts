// Connected components (union-find, 26-connectivity) against a plain breadth-first flood fill.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentCounts } from '../../src/plan/connected-components.js';
import { Rng } from '../../src/util/random.js';

function floodCounts(label: Uint8Array, [ni, nj, nk]: number[]): Map<number, number> {
  const seen = new Uint8Array(label.length);
  const out = new Map<number, number>();
  for (let s = 0; s < label.length; s++) {
    if (label[s] === 0 || seen[s]) continue;
    const v = label[s];
    out.set(v, (out.get(v) ?? 0) + 1);
    const queue = [s];
    seen[s] = 1;
    while (queue.length) {
      const x = queue.pop()!;
      const i = Math.floor(x / (nj * nk)),
        j = Math.floor(x / nk) % nj,
        k = x % nk;
      for (let a = -1; a <= 1; a++)
        for (let b = -1; b <= 1; b++)
          for (let c = -1; c <= 1; c++) {
            const p = i + a,
              q = j + b,
              r = k + c;
            if (p < 0 || q < 0 || r < 0 || p >= ni || q >= nj || r >= nk) continue;
            const y = (p * nj + q) * nk + r;
            if (!seen[y] && label[y] === v) {
              seen[y] = 1;
              queue.push(y);
            }
          }
    }
  }
  return out;
}

test('component counts equal a flood fill on random sparse multi-class volumes', () => {
  const rng = new Rng(7);
  for (const [shape, density] of [
    [[9, 11, 7], 0.15],
    [[16, 5, 12], 0.3],
    [[6, 6, 6], 0.05],
  ] as [number[], number][]) {
    const n = shape[0] * shape[1] * shape[2];
    const label = new Uint8Array(n);
    for (let x = 0; x < n; x++) if (rng.random() < density) label[x] = rng.int(1, 4);
    const got = componentCounts(label, shape),
      want = floodCounts(label, shape);
    assert.deepEqual([...got.entries()].sort(), [...want.entries()].sort(), `shape ${shape}`);
    assert.ok([...want.values()].reduce((a, b) => a + b, 0) > 3, 'the case has several components');
  }
});

test('diagonal neighbours join (26-connectivity); different classes never do', () => {
  const shape = [3, 3, 3];
  const l = new Uint8Array(27);
  l[0] = 1;
  l[13] = 1;
  l[26] = 1; // a corner-to-corner diagonal chain
  l[2] = 2;
  l[6] = 2; // two class-2 voxels that touch only diagonally in plane (0,0,2)-(0,2,0): not neighbours
  assert.deepEqual(
    componentCounts(l, shape),
    new Map([
      [1, 1],
      [2, 2],
    ]),
  );
});
