// Plain-TypeScript reference of the addon's label one-hot (src/native/label-onehot.ts): tfjs's
// Round (half to even), Cast to int32 (JavaScript's ToInt32) and OneHot, written out.

function roundHalfEven(v: number): number {
  const base = Math.floor(v),
    d = v - base;
  if (d < 0.5) return base;
  if (d > 0.5) return base + 1;
  return base % 2 === 0 ? base : base + 1;
}

export function labelOneHotRef(label: ArrayLike<number>, depth: number): Float32Array {
  const out = new Float32Array(label.length * depth);
  for (let i = 0; i < label.length; i++) {
    const k = roundHalfEven(label[i]) | 0; // ToInt32: NaN, ±Inf → 0, wrap modulo 2^32
    if (k >= 0 && k < depth) out[i * depth + k] = 1;
  }
  return out;
}
