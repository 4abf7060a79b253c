// Plain-TypeScript reference of the counter-based Gaussian noise of the native kernel:
// z(seed, i) is Box-Muller over two lowbias32 hashes, so any process, CPU or GPU,
// computes the same noise for the same seed.

export function noiseHash(x: number): number {
  x >>>= 0;
  x ^= x >>> 16; x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15; x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The standard normal draw number i of the stream `seed`. */
export function noiseAt(key: number, i: number): number {
  const c = Math.imul(i >>> 0, 2) >>> 0;
  const h1 = noiseHash((key ^ noiseHash(c)) >>> 0), h2 = noiseHash((key ^ noiseHash((c + 1) >>> 0)) >>> 0);
  const u1 = ((h1 >>> 8) + 1) / 16777216, u2 = (h2 >>> 8) / 16777216;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(6.283185307179586 * u2);
}

/** out[i] = in[i] + mean + std * z(seed, i). */
export function gaussianNoiseRef(input: Float32Array, seed: number, mean: number, std: number): Float32Array {
  const key = noiseHash(seed >>> 0);
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = input[i] + (mean + std * noiseAt(key, i));
  return out;
}
