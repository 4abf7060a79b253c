// The transform kernels of the addon (native/transforms/transforms_napi.cc). Values are
// trusted there: src/transforms/kernels.ts validates shapes and lengths before calling.
// Each op's trailing `async` flag: false runs now, true returns a promise (libuv pool).

export type Shape3 = [number, number, number];

export interface NativeTransforms {
  /** out[c, o] = in[c, xform·[o,1]]; mode 0 nearest / 1 linear; padding 0 zeros / 1 border / 2 reflection.
   * path (tests): 2 forces the CPU general path even when the 3x3 part is diagonal (separable path otherwise). */
  resample(
    input: Float32Array,
    channels: number,
    inShape: Shape3,
    out: Float32Array,
    outShape: Shape3,
    xform: Float64Array,
    mode: number,
    padding: number,
    async: boolean,
    path?: 0 | 2,
  ): Promise<void> | undefined;
  affineIntensity(
    input: Float32Array,
    out: Float32Array,
    scale: number,
    shift: number,
    clip: boolean,
    lo: number,
    hi: number,
    async: boolean,
  ): Promise<void> | undefined;
  moments(input: Float32Array, nonzero: boolean): [number, number, number];
  normalize(input: Float32Array, out: Float32Array, mean: number, invStd: number, nonzero: boolean, async: boolean): Promise<void> | undefined;
  flip(input: Float32Array, out: Float32Array, channels: number, shape: Shape3, mask: number, async: boolean): Promise<void> | undefined;
  rot90(input: Float32Array, out: Float32Array, channels: number, shape: Shape3, k: number, a0: number, a1: number, async: boolean): Promise<void> | undefined;
  cropPad(
    input: Float32Array,
    out: Float32Array,
    channels: number,
    inShape: Shape3,
    outShape: Shape3,
    start: Shape3,
    fill: number,
    async: boolean,
  ): Promise<void> | undefined;
  gaussianNoise(input: Float32Array, out: Float32Array, seed: number, mean: number, std: number, async: boolean): Promise<void> | undefined;
  fgBgIndices(
    label: Float32Array,
    labelChannels: number,
    image: Float32Array | null,
    imageChannels: number,
    spatial: number,
    imageThreshold: number,
    async: boolean,
  ): { fg: Int32Array; bg: Int32Array } | Promise<{ fg: Int32Array; bg: Int32Array }>;
  boundingBox(input: Float32Array, channels: number, shape: Shape3, threshold: number): { start: Shape3; end: Shape3 } | null;
  /** outIsZero: out is all zeros already (a fresh Float32Array): only the ones are written. */
  oneHot(label: Float32Array, out: Float32Array, spatial: number, numClasses: number, async: boolean, outIsZero?: boolean): Promise<void> | undefined;
  /** Bandwidth probe for the benchmark roofline: kind 0 reads src, 1 copies src → dst (dst.length ≥ src.length), 2 fills dst,
   * 3 / 4 copy / fill with streaming (non-temporal) stores. */
  memProbe(kind: 0 | 1 | 2 | 3 | 4, src: Float32Array | null, dst: Float32Array | null): number;
}

export interface NativeTransformsModule {
  transforms: NativeTransforms;
}
