// Plain-TypeScript references of the native intensity kernels.

/** out = in * scale + shift (float32 arithmetic), clipped to [lo, hi] when clip. */
export function affineIntensityRef(input: Float32Array, scale: number, shift: number, clip: boolean, lo: number, hi: number): Float32Array {
  const out = new Float32Array(input.length);
  const s = Math.fround(scale),
    t = Math.fround(shift),
    l = Math.fround(lo),
    h = Math.fround(hi);
  for (let i = 0; i < input.length; i++) {
    const v = Math.fround(Math.fround(input[i] * s) + t);
    out[i] = clip ? Math.min(h, Math.max(l, v)) : v;
  }
  return out;
}

/** [sum, sum of squares, count] over all elements, or over the non-zero ones. */
export function momentsRef(input: Float32Array, nonzero: boolean): [number, number, number] {
  let s = 0,
    q = 0,
    n = 0;
  for (let i = 0; i < input.length; i++) {
    const v = input[i];
    if (nonzero && v === 0) continue;
    s += v;
    q += v * v;
    n++;
  }
  return [s, q, n];
}

/** out = (in - mean) * invStd; zeros stay zero when nonzero. */
export function normalizeRef(input: Float32Array, mean: number, invStd: number, nonzero: boolean): Float32Array {
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) {
    if (nonzero && input[i] === 0) continue;
    out[i] = (input[i] - mean) * invStd;
  }
  return out;
}
