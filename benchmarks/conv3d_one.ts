// Single-shape conv3d probe for kernel work (prints one line, writes no results file):
// npm run bench -- conv3d_one D CIN COUT STRIDE OP THREADS REPS [fp32|emu|bf16] [K]
// OP: f (forward), i (backprop-input), w (backprop-filter); K×K×K (default 3) 'same', batch 1.
// Besides wall-clock GFLOP/s it prints GFLOP/s per CPU-second per thread, which
// shows whether the threads actually ran at the same time on the shared machine.
import { native } from '../src/native/loader.js';
import type { NativeKernels } from '../src/native/kernels.js';
import { convGeomArray } from '../src/native/kernels.js';
import { Rng } from '../src/util/random.js';

const [d, cin, cout, stride, op, threads, reps, prec, ksize] = process.argv.slice(2);
const K = ksize === undefined ? 3 : +ksize;
if (!reps || !['f', 'i', 'w'].includes(op) || (prec !== undefined && !['fp32', 'emu', 'bf16'].includes(prec)) || !(K >= 1)) {
  console.error('usage: conv3d_one D CIN COUT STRIDE f|i|w THREADS REPS [fp32|emu|bf16] [K]');
  process.exit(2);
}
const k = native() as unknown as NativeKernels & { setNumThreads(n: number): number };
const D = +d,
  S = +stride,
  T = +threads;
const o = Math.ceil(D / S),
  p = Math.floor(Math.max((o - 1) * S + K - D, 0) / 2);
const g = { n: 1, d: D, h: D, w: D, cin: +cin, kd: K, kh: K, kw: K, cout: +cout, sd: S, sh: S, sw: S, od: o, oh: o, ow: o, pf: p, pt: p, pl: p };
const ga = convGeomArray(g);
const rng = new Rng(1);
const f = (n: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
};
const x = f(D ** 3 * +cin),
  w = f(K ** 3 * +cin * +cout),
  dy = f(o ** 3 * +cout),
  y = new Float32Array(dy.length),
  dx = new Float32Array(x.length),
  dw = new Float32Array(w.length);
const bf = prec === 'bf16' || prec === 'emu';
if (prec === 'emu') k.setBf16Dot(false);
else if (prec === 'bf16') k.setBf16Dot(true);
k.setNumThreads(T);
const run =
  op === 'f'
    ? () => k.conv3dForward(x, w, y, ga, bf)
    : op === 'i'
      ? () => k.conv3dBackpropInput(dy, w, dx, ga, bf)
      : () => k.conv3dBackpropFilter(x, dy, dw, ga, bf);
const peak = k.fmaPeak(T, 0.2);
run();
const ts: number[] = [],
  cs: number[] = [];
for (let i = 0; i < +reps; i++) {
  const c0 = process.cpuUsage(),
    t0 = process.hrtime.bigint();
  run();
  ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
  const c = process.cpuUsage(c0);
  cs.push((c.user + c.system) / 1e6 / T); // CPU seconds per thread: robust to waiting for a shared core
}
const flops = 2 * o ** 3 * +cin * +cout * K ** 3;
const gf = flops / Math.min(...ts) / 1e9;
const cg = flops / Math.min(...cs) / 1e9;
console.log(
  `${K !== 3 ? `k${K} ` : ''}${D}³ ${cin}→${cout} s${S} ${op} ${T}t ${prec ?? 'fp32'}: ${gf.toFixed(1)} GFLOP/s wall, ${cg.toFixed(1)} per CPU-time  peak ${peak.toFixed(0)}  ${((100 * gf) / peak).toFixed(0)}%`,
);
