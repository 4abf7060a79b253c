import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  avgPool3d,
  avgPool3dGrad,
  conv3dBackpropFilter,
  conv3dBackpropInput,
  conv3dForward,
  convSizes,
  fmaPeak,
  isaProbe,
  maxPool3d,
  maxPool3dGrad,
  poolSizes,
} from '../../src/native/kernels.js';
import { conv3dBackpropFilterRef, conv3dBackpropInputRef, conv3dForwardRef, roundBf16 } from '../references/conv3d.js';
import { avgPool3dGradRef, avgPool3dRef, maxPool3dGradRef, maxPool3dRef } from '../references/pool3d.js';
import { native } from '../../src/native/loader.js';
import { amxStatus } from '../../src/native/amx.js';
import { Rng } from '../../src/util/random.js';
import { CONV_CASES, convGeometry, poolGeometry, randomArray, relErr } from './conv-geom.js';

for (const threads of [1, 2]) {
  for (const c of CONV_CASES) {
    const name = `conv3d ${c.x.join('x')} k${c.k} ->${c.cout} s${c.stride} ${c.pad}, ${threads} thread(s)`;
    test(`${name}: native = TS reference (fp32 1e-5, bf16 1e-5 against bf16-rounded inputs)`, () => {
      const before = native().info().threads;
      native().setNumThreads(threads);
      try {
        const g = convGeometry(c.x, [c.k, c.k, c.k, c.x[4], c.cout], c.stride, c.pad);
        const rng = new Rng(7);
        const s = convSizes(g);
        const x = randomArray(rng, s.x),
          w = randomArray(rng, s.filter),
          dy = randomArray(rng, s.y);
        for (const bf16 of [false, true]) {
          const tag = bf16 ? 'bf16' : 'fp32';
          assert.ok(relErr(conv3dForward(g, x, w, { bf16 }), conv3dForwardRef(g, x, w, { bf16 })) < 1e-5, `forward ${tag}`);
          assert.ok(relErr(conv3dBackpropInput(g, dy, w, { bf16 }), conv3dBackpropInputRef(g, dy, w, { bf16 })) < 1e-5, `backprop-input ${tag}`);
          assert.ok(relErr(conv3dBackpropFilter(g, x, dy, { bf16 }), conv3dBackpropFilterRef(g, x, dy, { bf16 })) < 1e-5, `backprop-filter ${tag}`);
        }
        // bf16 really changes the numbers (it is not fp32 under another name).
        assert.ok(relErr(conv3dForward(g, x, w, { bf16: true }), conv3dForwardRef(g, x, w)) > 1e-5);
      } finally {
        native().setNumThreads(before);
      }
    });
  }
}

test('roundBf16 rounds to nearest even and keeps specials', () => {
  assert.equal(roundBf16(1), 1);
  assert.equal(roundBf16(1 + 2 ** -8), 1); // tie → even
  assert.equal(roundBf16(1 + 3 * 2 ** -8), 1 + 2 ** -6); // tie → even (up)
  assert.equal(roundBf16(1 + 2 ** -8 + 2 ** -12), 1 + 2 ** -7);
  assert.equal(roundBf16(Infinity), Infinity);
  assert.ok(Number.isNaN(roundBf16(NaN)));
});

const POOL_CASES: { x: number[]; size: number; stride: number; pad: 'same' | 'valid' }[] = [
  { x: [2, 8, 8, 8, 3], size: 2, stride: 2, pad: 'valid' },
  { x: [2, 7, 5, 9, 5], size: 2, stride: 2, pad: 'same' },
  { x: [1, 7, 7, 6, 17], size: 3, stride: 2, pad: 'same' },
  { x: [1, 6, 6, 6, 4], size: 3, stride: 1, pad: 'valid' },
];

for (const c of POOL_CASES) {
  test(`pool3d ${c.x.join('x')} size ${c.size} stride ${c.stride} ${c.pad}: native = TS reference`, () => {
    const g = poolGeometry(c.x, c.size, c.stride, c.pad);
    const rng = new Rng(11);
    const s = poolSizes(g);
    const x = randomArray(rng, s.x),
      dy = randomArray(rng, s.y);
    x[5] = NaN; // max ignores NaN, as tfjs does
    assert.deepEqual(maxPool3d(g, x), maxPool3dRef(g, x));
    assert.deepEqual(maxPool3dGrad(g, x, dy), maxPool3dGradRef(g, x, dy));
    const x2 = randomArray(rng, s.x);
    assert.ok(relErr(avgPool3d(g, x2), avgPool3dRef(g, x2)) < 1e-6);
    assert.ok(relErr(avgPool3dGrad(g, dy), avgPool3dGradRef(g, dy)) < 1e-6);
  });
}

test('wrong sizes and geometries are refused with the field named', () => {
  const g = convGeometry([1, 4, 4, 4, 2], [3, 3, 3, 2, 3], 1, 'same');
  assert.throws(() => conv3dForward(g, new Float32Array(5), new Float32Array(convSizes(g).filter)), /conv3d x has 5 elements, the geometry needs 128/);
  assert.throws(() => conv3dForward({ ...g, sd: 0 }, new Float32Array(128), new Float32Array(convSizes(g).filter)), /'sd' must be >= 1/);
  assert.throws(() => conv3dForward({ ...g, pf: 5 }, new Float32Array(128), new Float32Array(convSizes(g).filter)), /depth padding 5 exceeds/);
});

test('fmaPeak measures a positive figure', () => {
  const p = fmaPeak(1, 0.05);
  assert.ok(p > 0.5, `peak ${p}`);
});

test('isaProbe reports the clock and per-chain throughput of both instructions', () => {
  const p = isaProbe(1, 2);
  assert.ok(p.ghz > 0.3 && p.ghz < 10, `clock ${p.ghz} GHz`);
  const simd = (native() as unknown as { info(): { simd: string } }).info().simd;
  if (simd !== 'avx512') {
    assert.equal(p.rates.length, 0);
    return;
  }
  const fma = p.rates.filter((r) => r.instr.startsWith('vfmadd231ps'));
  assert.deepEqual(
    fma.map((r) => r.chains),
    [4, 8, 12, 16, 24],
  );
  const dot = p.rates.filter((r) => r.instr.startsWith('vdpbf16ps'));
  assert.equal(dot.length, (native() as unknown as { conv3dBf16Dot: boolean }).conv3dBf16Dot ? 5 : 0);
  for (const r of p.rates) {
    assert.ok(r.perNs > 0 && r.perCycle > 0, `${r.instr} x${r.chains}: ${r.perNs}/ns`);
    assert.ok(Math.abs(r.gflops - r.perNs * (r.instr.startsWith('tdpbf16ps') ? 16384 : r.instr.startsWith('vdpbf16ps') ? 64 : 32)) < 1e-9 * r.gflops + 1e-9);
  }
  // the AMX tile product is probed exactly where AMX is usable
  assert.equal(p.rates.filter((r) => r.instr === 'tdpbf16ps tmm').length, amxStatus().usable ? 1 : 0);
  assert.throws(() => isaProbe(0, 2), /trials must be an integer >= 1/);
});
