// npm run bench -- conv3d [--reps N] [--no-tfjs]
// GFLOP/s of the native Conv3D forward, backprop-input and backprop-filter, fp32,
// amx-bf16 (AMX tiles, what use_amp runs where AMX is usable), fp32-amx3 (the opt-in
// fp32 mode: three bf16 tile products) and bf16 without AMX (dot products, and the
// exact emulation), shapes 32³ 16→16, 64³ 32→32,
// 16³ 64→64 (3×3×3, 'same', stride 1, batch 1), 64³ 16→32 stride 2 and the benchmark models'
// deep levels 8³ 64→64, 4³ 128→256, 18³ 32→64 stride 2, 1 and 2 threads, each as a
// fraction of this machine's FMA peak measured in the same run with the same
// thread count (AMX figures also as a fraction of the AMX tile peak measured in the
// same run), the speed-up of amx-bf16 over fp32 per op, shape and thread count; and
// tfjs's pure-JS cpu kernel on the same shapes.
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { native } from '../src/native/loader.js';
import type { NativeKernels } from '../src/native/kernels.js';
import { convGeomArray, type Conv3DGeometry } from '../src/native/kernels.js';
import { Rng } from '../src/util/random.js';
import { amxPeak, amxStatus, setAmx, setAmxFp32 } from '../src/native/amx.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1]) || 5;
const withTfjs = !args.includes('--no-tfjs');
const k = native() as unknown as NativeKernels & { setNumThreads(n: number): number };
const load0 = loadavg()[0];
const amx = amxStatus();

const SHAPES = [
  { d: 32, cin: 16, cout: 16 },
  { d: 64, cin: 32, cout: 32 },
  { d: 16, cin: 64, cout: 64 },
  // stride 2 (a UNet's strided down-convolution): the input gradient runs by phases
  { d: 64, cin: 16, cout: 32, stride: 2 },
  // the deep levels of the benchmark models (SegResNet, the Clara UNet): few pixels a row,
  // many channels, where packing and tile filling decide
  { d: 8, cin: 64, cout: 64 },
  { d: 4, cin: 128, cout: 256 },
  { d: 18, cin: 32, cout: 64, stride: 2 },
];

function geom(d: number, cin: number, cout: number, stride = 1): Conv3DGeometry {
  // tfjs 'same': out = ceil(d / stride), padding before = floor(total / 2)
  const o = Math.ceil(d / stride),
    p = Math.floor(Math.max((o - 1) * stride + 3 - d, 0) / 2);
  return { n: 1, d, h: d, w: d, cin, kd: 3, kh: 3, kw: 3, cout, sd: stride, sh: stride, sw: stride, od: o, oh: o, ow: o, pf: p, pt: p, pl: p };
}

function fill(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** Seconds per call: [best, median] after one warm-up, over at least n calls and at least
 *  0.3 s of calls (at most 60): on the shared machine a short burst of someone else's work
 *  can cover every one of a few millisecond-long calls. */
function time(fn: () => void, n: number): [number, number] {
  fn();
  const ts: number[] = [];
  for (let i = 0, spent = 0; i < 60 && (i < n || spent < 0.3); i++, spent += ts[ts.length - 1]) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return [Math.min(...ts), median(ts)];
}

const figures: Figure[] = [];
const rows: Record<string, string | number>[] = [];
const peaks: Record<string, number> = {};
for (const threads of [1, 2]) {
  peaks[`fp32_fma_${threads}t`] = k.fmaPeak(threads, 1.0);
  peaks[`bf16_dot_${threads}t`] = k.fmaPeak(threads, 1.0, true);
  figures.push({ name: `peak fp32 FMA ${threads} thread(s)`, value: peaks[`fp32_fma_${threads}t`], unit: 'GFLOP/s', threads });
  figures.push({ name: `peak bf16 dot (vdpbf16ps) ${threads} thread(s)`, value: peaks[`bf16_dot_${threads}t`], unit: 'GFLOP/s', threads });
  if (amx.usable) {
    peaks[`amx_bf16_${threads}t`] = amxPeak(threads, 1.0);
    figures.push({ name: `peak AMX bf16 (tdpbf16ps) ${threads} thread(s)`, value: peaks[`amx_bf16_${threads}t`], unit: 'GFLOP/s', threads });
  }
}
console.log('measured peaks (GFLOP/s):', Object.fromEntries(Object.entries(peaks).map(([a, b]) => [a, +b.toFixed(1)])));

// Is the bf16 dot product's lower peak a throughput limit or a latency artefact of too
// few accumulator chains? One thread, 4-24 independent chains, both instructions in the
// same rounds, per cycle (clock from a dependent imul chain).
const isa = k.isaProbe(8, 25);
const isaRows = isa.rates.map((r) => ({ instr: r.instr, chains: r.chains, 'per cycle': r.perCycle, 'GFLOP/s': r.gflops }));
printTable(isaRows);
for (const r of isa.rates)
  figures.push({
    name: `throughput ${r.instr} ${r.chains} chains 1 thread`,
    value: r.perCycle,
    unit: 'instructions/cycle',
    instr: r.instr,
    chains: r.chains,
    per_ns: r.perNs,
    gflops: r.gflops,
    ghz: isa.ghz,
    threads: 1,
  });
const bestRate = (prefix: string) => Math.max(0, ...isa.rates.filter((r) => r.instr.startsWith(prefix)).map((r) => r.perCycle));
const fmaPerCycle = bestRate('vfmadd231ps'),
  dotPerCycle = bestRate('vdpbf16ps');

const rng = new Rng(1);
const fp32Best: Record<string, number> = {};
for (const s of SHAPES) {
  const stride = (s as { stride?: number }).stride ?? 1;
  const g = geom(s.d, s.cin, s.cout, stride);
  const ga = convGeomArray(g);
  const vox = s.d ** 3,
    ovox = g.od ** 3;
  const x = fill(rng, vox * s.cin),
    w = fill(rng, 27 * s.cin * s.cout),
    y = new Float32Array(ovox * s.cout),
    dy = fill(rng, ovox * s.cout);
  const dx = new Float32Array(x.length),
    dw = new Float32Array(w.length);
  const flops = 2 * ovox * s.cin * s.cout * 27; // useful multiply-adds
  const shape = `${s.d}³ ${s.cin}→${s.cout}${stride > 1 ? ` s${stride}` : ''}`;
  const ops: [string, (bf16: boolean) => void][] = [
    ['forward', (b) => k.conv3dForward(x, w, y, ga, b)],
    ['backprop-input', (b) => k.conv3dBackpropInput(dy, w, dx, ga, b)],
    ['backprop-filter', (b) => k.conv3dBackpropFilter(x, dy, dw, ga, b)],
  ];
  for (const threads of [1, 2]) {
    k.setNumThreads(threads);
    // the machine is shared: measure the peak right next to the figures it divides
    const peakHere = k.fmaPeak(threads, 0.3);
    const amxHere = amx.usable ? amxPeak(threads, 0.3) : 0;
    for (const [op, run] of ops)
      for (const prec of ['fp32', 'amx-bf16', 'fp32-amx3', 'bf16', 'bf16-emulated'] as const) {
        const onAmx = prec === 'amx-bf16' || prec === 'fp32-amx3';
        if (prec === 'bf16' && !k.conv3dBf16Dot) continue;
        if (onAmx && !amx.usable) continue;
        k.setBf16Dot(prec === 'bf16');
        setAmx(onAmx);
        setAmxFp32(prec === 'fp32-amx3');
        const [best, med] = time(() => run(prec !== 'fp32' && prec !== 'fp32-amx3'), reps);
        k.setBf16Dot(null);
        setAmx(true);
        setAmxFp32(false);
        const gf = flops / best / 1e9,
          peak = Math.max(peakHere, peaks[`fp32_fma_${threads}t`]);
        if (prec === 'fp32') fp32Best[`${op} ${shape} ${threads}`] = best;
        const vsFp32 = prec === 'fp32' ? 1 : fp32Best[`${op} ${shape} ${threads}`] / best;
        figures.push({
          vs_fp32_speed: vsFp32,
          name: `${op} ${prec} ${shape} ${threads}t`,
          value: gf,
          unit: 'GFLOP/s',
          op,
          precision: prec,
          shape,
          threads,
          batch: 1,
          best_s: best,
          median_s: med,
          gflops_median: flops / med / 1e9,
          fraction_of_fp32_peak: gf / peak,
          fraction_of_adjacent_peak: gf / peakHere,
          adjacent_peak_gflops: peakHere,
        });
        if (onAmx) {
          const ap = Math.max(amxHere, peaks[`amx_bf16_${threads}t`]);
          const f = figures[figures.length - 1];
          Object.assign(f, { fraction_of_amx_peak: gf / ap, fraction_of_adjacent_amx_peak: gf / amxHere, adjacent_amx_peak_gflops: amxHere });
          figures.push({ name: `speed-up ${prec} vs fp32 ${op} ${shape} ${threads}t`, value: vsFp32, unit: 'x', op, shape, threads });
        }
        const ofPeak = onAmx ? gf / Math.max(amxHere, peaks[`amx_bf16_${threads}t`]) : gf / peak;
        rows.push({
          shape,
          op,
          prec,
          threads,
          'GFLOP/s': gf,
          'vs fp32': vsFp32,
          'of peak': `${(100 * ofPeak).toFixed(0)}%${onAmx ? ' amx' : ''}`,
          'of adjacent peak': `${((100 * gf) / (onAmx ? amxHere : peakHere)).toFixed(0)}%`,
          'median ms': med * 1e3,
        });
      }
  }
}
k.setNumThreads(2);

if (withTfjs) {
  await tf.setBackend('cpu');
  for (const s of SHAPES) {
    if ((s as { stride?: number }).stride) continue; // the strided shape is native-only
    const shape = `${s.d}³ ${s.cin}→${s.cout}`;
    const flops = 2 * s.d ** 3 * s.cin * s.cout * 27;
    const x = tf.tensor5d(fill(rng, s.d ** 3 * s.cin), [1, s.d, s.d, s.d, s.cin]);
    const w = tf.tensor5d(fill(rng, 27 * s.cin * s.cout), [3, 3, 3, s.cin, s.cout]);
    const dy = tf.tensor5d(fill(rng, s.d ** 3 * s.cout), [1, s.d, s.d, s.d, s.cout]);
    const ops: [string, () => tf.Tensor][] = [
      ['forward', () => tf.conv3d(x, w, 1, 'same')],
      ['backprop-input', () => tf.conv3dTranspose(dy, w, [1, s.d, s.d, s.d, s.cin], 1, 'same')],
    ];
    for (const [op, run] of ops) {
      // one timed call (no warm-up): pure JS takes seconds here
      const t0 = process.hrtime.bigint();
      const r = run();
      r.dataSync();
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      r.dispose();
      const gf = flops / sec / 1e9;
      figures.push({
        name: `tfjs cpu ${op} fp32 ${shape}`,
        value: gf,
        unit: 'GFLOP/s',
        op,
        precision: 'fp32',
        shape,
        threads: 1,
        batch: 1,
        best_s: sec,
        fraction_of_fp32_peak: gf / peaks.fp32_fma_1t,
        impl: 'tfjs-backend-cpu (pure JS)',
      });
      rows.push({
        shape,
        op,
        prec: 'tfjs JS',
        threads: 1,
        'GFLOP/s': gf,
        'of peak': `${((100 * gf) / peaks.fp32_fma_1t).toFixed(1)}%`,
        'of adjacent peak': '',
        'median ms': sec * 1e3,
      });
      if (s.d === 64) break; // 64³ backprop in pure JS takes too long for a shared machine
    }
    tf.dispose([x, w, dy]);
  }
}

printTable(rows);
const info = (k as unknown as { info(): { simd: string } }).info();
writeResults('conv3d', figures, {
  note: "GFLOP/s from the best of at least `reps` calls and at least 0.3 s of calls (median in each figure too). fraction_of_fp32_peak divides by the larger of the run-start peak and a peak measured right before that shape/thread block (fraction_of_adjacent_peak: by the adjacent one only), because the share of the cores this process got changed during the run. The machine is shared by several engineers (load average before/after below). Its two vCPUs behave as one core (2-thread FMA peak ~172 GFLOP/s) or as two (~330) depending on what else runs: a 2-thread figure measured while another process held one vCPU is compared with a two-core peak measured a moment earlier, so 2-thread fractions are the noisiest. amx-bf16 = AMX tiles (tdpbf16ps, bf16 products, fp32 accumulation: what use_amp runs where AMX is usable, see amx), its fraction_of_amx_peak divides by the AMX tile peak (four independent tdpbf16ps per thread) measured in the same run; fp32-amx3 = fp32 convolutions as three bf16 tile products (opt-in, CLARA_AMX_FP32=1); bf16 = AVX512-BF16 dot products (vdpbf16ps, forced on, AMX off), bf16-emulated = bf16-rounded inputs and weights with fp32 FMA (AMX off; the use_amp path where AMX is not usable, see use_amp_path); vs_fp32_speed = fp32 time / this time for the same op, shape and threads. GFLOP/s count every tap of the 'same' convolution (2·out·cin·cout·27), including taps that fall on the zero padding; the kernels skip those in depth and height (about 8 % of the nominal work at 16³, 4 % at 32³, 2 % at 64³), so small shapes read a few percent high, which is how a figure can pass 100 % of a peak probe that itself reaches ~1.85 of the 2 FMAs per cycle.",
  reps,
  loadavg_before: load0,
  loadavg_after: loadavg()[0],
  peaks,
  simd: info.simd,
  bf16Dot: k.conv3dBf16Dot,
  amx: amx.usable ? 'yes' : `no (${amx.reason})`,
  use_amp_path: `${amx.usable ? 'AMX tiles (tdpbf16ps) for convolutions with 8 or more channels on both sides; the others: ' : ''}${k.setBf16Dot(null) ? 'bf16 dot products (vdpbf16ps)' : 'exact emulation (bf16-rounded inputs and weights, fp32 FMA): the dot products measured slower than fp32 FMA here'}`,
  isa_probe: {
    ghz: isa.ghz,
    rates: isa.rates,
    vfmadd231ps_per_cycle: fmaPerCycle,
    vdpbf16ps_per_cycle: dotPerCycle,
    note: `One thread, best of 8 rounds, each instruction with 4, 8, 12, 16 and 24 independent accumulator chains (the conv peak probe uses 16). vfmadd231ps zmm rises from ~1/cycle at 4 chains (latency-bound, 4-cycle latency) to ${fmaPerCycle.toFixed(2)}/cycle at >= 12 chains (two FMA ports); vdpbf16ps zmm stays at ${dotPerCycle.toFixed(2)}/cycle for every chain count, so it is throughput-bound (about one per two cycles) and not a latency artefact. At 64 flops per vdpbf16ps vs 32 per vfmadd231ps that is ${(64 * dotPerCycle).toFixed(0)} vs ${(32 * fmaPerCycle).toFixed(0)} flops/cycle: the bf16 dot-product peak is ${((64 * dotPerCycle) / (32 * fmaPerCycle)).toFixed(2)}x the fp32 one on this CPU. The bf16 speed comes from AMX instead (amx: ${amx.usable ? 'yes' : `no (${amx.reason})`}): the tdpbf16ps tile rate of the isa probe and peaks.amx_bf16_*; without AMX use_amp runs the exact emulation, whose cost over fp32 is listed per shape as vs_fp32_speed.`,
  },
});
