// Plain-TypeScript reference of the addon's middle-axis sum (src/native/reduce.ts), float64.
export function sumMiddleRef(x: Float32Array, outer: number, mid: number, inner: number): Float64Array {
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) for (let m = 0; m < mid; m++) for (let i = 0; i < inner; i++) out[o * inner + i] += x[(o * mid + m) * inner + i];
  return out;
}
