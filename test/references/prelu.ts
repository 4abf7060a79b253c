// Plain-TypeScript reference of the addon's PReLU (src/native/prelu.ts), float64: x is a
// channels-last [rows, c] view, alpha has 1 value or c.

export function preluRef(x: ArrayLike<number>, alpha: ArrayLike<number>, c: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const a = alpha.length === 1 ? alpha[0] : alpha[i % c];
    y[i] = x[i] > 0 ? x[i] : a * x[i];
  }
  return y;
}

/** dx = dy where x > 0, dy·alpha elsewhere; dalpha = sum of dy·x where x <= 0 (per channel, or all). */
export function preluGradRef(dy: ArrayLike<number>, x: ArrayLike<number>, alpha: ArrayLike<number>, c: number): { dx: Float64Array; dalpha: Float64Array } {
  const dx = new Float64Array(x.length),
    dalpha = new Float64Array(alpha.length);
  for (let i = 0; i < x.length; i++) {
    const ch = alpha.length === 1 ? 0 : i % c;
    if (x[i] > 0) dx[i] = dy[i];
    else {
      dx[i] = dy[i] * alpha[ch];
      dalpha[ch] += dy[i] * x[i];
    }
  }
  return { dx, dalpha };
}
