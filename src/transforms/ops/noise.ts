// Plain-TypeScript reference of the counter-based Gaussian noise of the native kernel:
// element pair p = (2p, 2p+1) takes the two Box-Muller outputs (cos, sin) computed from two
// lowbias32 hashes of (seed, p), so any process, CPU or GPU, computes the same noise for
// the same seed (the kernels compute the same polynomials in float: equal to ~1e-6).

export function noiseHash(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The two standard normals of pair p of the stream with key noiseHash(seed): Box-Muller
 * with the kernel's polynomial ln, sin and cos (see native/transforms/transform_ops.h). */
export function noisePair(key: number, p: number): [number, number] {
  const c = Math.imul(p >>> 0, 2) >>> 0;
  const h1 = noiseHash((key ^ noiseHash(c)) >>> 0),
    h2 = noiseHash((key ^ noiseHash((c + 1) >>> 0)) >>> 0);
  const k = (h1 >>> 8) + 1; // 1 .. 2^24
  const e = 31 - Math.clz32(k);
  const m = k / 2 ** e;
  const t = (m - 1) / (m + 1),
    t2 = t * t;
  const lnm = 2 * t * (1 + t2 * (1 / 3 + t2 * (1 / 5 + t2 * (1 / 7 + t2 * (1 / 9 + t2 * (1 / 11))))));
  const r = Math.sqrt(-2 * ((e - 24) * 0.6931471805599453 + lnm));
  const u2 = (h2 >>> 8) / 16777216;
  const h = Math.PI * u2 - Math.PI / 2,
    hs = h * h;
  const sh = h * (1 - (hs / 6) * (1 - (hs / 20) * (1 - (hs / 42) * (1 - (hs / 72) * (1 - hs / 110)))));
  const ch = 1 - (hs / 2) * (1 - (hs / 12) * (1 - (hs / 30) * (1 - (hs / 56) * (1 - (hs / 90) * (1 - hs / 132)))));
  return [r * (sh * sh - ch * ch), r * (-2 * sh * ch)];
}

/** out[i] = in[i] + (mean + std * z(seed, i)). */
export function gaussianNoiseRef(input: Float32Array, seed: number, mean: number, std: number): Float32Array {
  const key = noiseHash(seed >>> 0);
  const out = new Float32Array(input.length);
  const m = Math.fround(mean),
    sd = Math.fround(std);
  for (let p = 0; 2 * p < input.length; p++) {
    const [z0, z1] = noisePair(key, p);
    out[2 * p] = input[2 * p] + (m + sd * z0);
    if (2 * p + 1 < input.length) out[2 * p + 1] = input[2 * p + 1] + (m + sd * z1);
  }
  return out;
}
