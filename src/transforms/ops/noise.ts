// Plain-TypeScript reference of the counter-based Gaussian noise of the native kernel:
// element pair p = (2p, 2p+1) takes the two Box-Muller outputs (cos, sin) computed from two
// lowbias32 hashes of (seed, p), so any process, CPU or GPU, computes the same noise for
// the same seed (the kernels use float libm: equal within a few ulps).

export function noiseHash(x: number): number {
  x >>>= 0;
  x ^= x >>> 16; x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15; x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The two standard normals of pair p of the stream with key noiseHash(seed). */
export function noisePair(key: number, p: number): [number, number] {
  const c = Math.imul(p >>> 0, 2) >>> 0;
  const h1 = noiseHash((key ^ noiseHash(c)) >>> 0), h2 = noiseHash((key ^ noiseHash((c + 1) >>> 0)) >>> 0);
  const u1 = ((h1 >>> 8) + 1) / 16777216, u2 = (h2 >>> 8) / 16777216;
  const r = Math.sqrt(-2 * Math.log(u1)), t = 6.283185307179586 * u2;
  return [r * Math.cos(t), r * Math.sin(t)];
}

/** out[i] = in[i] + (mean + std * z(seed, i)). */
export function gaussianNoiseRef(input: Float32Array, seed: number, mean: number, std: number): Float32Array {
  const key = noiseHash(seed >>> 0);
  const out = new Float32Array(input.length);
  const m = Math.fround(mean), sd = Math.fround(std);
  for (let p = 0; 2 * p < input.length; p++) {
    const [z0, z1] = noisePair(key, p);
    out[2 * p] = input[2 * p] + (m + sd * z0);
    if (2 * p + 1 < input.length) out[2 * p + 1] = input[2 * p + 1] + (m + sd * z1);
  }
  return out;
}
