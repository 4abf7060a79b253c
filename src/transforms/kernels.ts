// The op layer every transform calls: the native kernel when the addon loads (work over
// ~1 ms runs async so loading overlaps training), otherwise the plain-TypeScript
// reference. Validates shapes here: the C++ side trusts its arguments.
import { tryNative } from '../native/loader.js';
import type { NativeTransforms, Shape3 } from '../native/transforms.js';
import { resampleRef, INTERP_CODE, PADDING_CODE, type InterpMode, type PaddingMode } from './ops/resample.js';
import { affineIntensityRef, momentsRef, normalizeRef } from './ops/intensity.js';
import { cropPadRef, flipRef, rot90Ref, rot90Shape } from './ops/spatial.js';
import { gaussianNoiseRef } from './ops/noise.js';
import { boundingBoxRef, fgBgIndicesRef, oneHotRef } from './ops/label.js';

/** Above this many elements a native op runs on the libuv pool (about a millisecond of work). */
export const ASYNC_MIN_ELEMENTS = 1 << 18;

let forced: 'native' | 'ts' | undefined;
/** Forces the native or the TypeScript path (tests, benchmarks); undefined restores the default. */
export function setKernelBackend(b: 'native' | 'ts' | undefined): void {
  forced = b;
}

function nat(): NativeTransforms | undefined {
  if (forced === 'ts' || process.env.CLARA_NO_NATIVE === '1') return undefined;
  const n = tryNative();
  if (!n && forced === 'native') throw new Error('clara-train: the native addon is required here but did not load');
  return n?.transforms;
}

function check(cond: boolean, msg: string): void {
  if (!cond) throw new RangeError(`transform kernel: ${msg}`);
}
function vox(s: Shape3): number {
  return s[0] * s[1] * s[2];
}
function checkShape(data: Float32Array, channels: number, shape: Shape3, what: string): void {
  check(shape.length === 3 && shape.every((d) => Number.isInteger(d) && d > 0), `${what} shape must be 3 positive integers, got [${shape}]`);
  check(Number.isInteger(channels) && channels > 0, `${what} channels must be a positive integer, got ${channels}`);
  check(data.length === channels * vox(shape), `${what} has ${data.length} elements, expected ${channels}x${shape.join('x')}`);
}

export async function resample(
  input: Float32Array,
  channels: number,
  inShape: Shape3,
  outShape: Shape3,
  xform: ArrayLike<number>,
  mode: InterpMode,
  padding: PaddingMode,
): Promise<Float32Array> {
  checkShape(input, channels, inShape, 'resample input');
  check(
    outShape.every((d) => Number.isInteger(d) && d > 0),
    `resample output shape must be positive integers, got [${outShape}]`,
  );
  check(xform.length === 12 && Array.from(xform).every(Number.isFinite), 'resample xform must be 12 finite numbers (3x4)');
  const n = nat();
  if (!n) return resampleRef(input, channels, inShape, outShape, xform, mode, padding);
  const out = new Float32Array(channels * vox(outShape));
  await n.resample(
    input,
    channels,
    inShape,
    out,
    outShape,
    Float64Array.from(xform),
    INTERP_CODE[mode],
    PADDING_CODE[padding],
    out.length >= ASYNC_MIN_ELEMENTS,
  );
  return out;
}

export async function affineIntensity(input: Float32Array, scale: number, shift: number, clip = false, lo = -Infinity, hi = Infinity): Promise<Float32Array> {
  check([scale, shift].every(Number.isFinite), 'intensity scale and shift must be finite');
  const n = nat();
  if (!n) return affineIntensityRef(input, scale, shift, clip, lo, hi);
  const out = new Float32Array(input.length);
  await n.affineIntensity(input, out, scale, shift, clip, lo, hi, input.length >= ASYNC_MIN_ELEMENTS);
  return out;
}

export function moments(input: Float32Array, nonzero: boolean): [number, number, number] {
  const n = nat();
  return n ? n.moments(input, nonzero) : momentsRef(input, nonzero);
}

export async function normalize(input: Float32Array, mean: number, invStd: number, nonzero: boolean): Promise<Float32Array> {
  const n = nat();
  if (!n) return normalizeRef(input, mean, invStd, nonzero);
  const out = new Float32Array(input.length);
  await n.normalize(input, out, mean, invStd, nonzero, input.length >= ASYNC_MIN_ELEMENTS);
  return out;
}

export async function flip(input: Float32Array, channels: number, shape: Shape3, mask: number): Promise<Float32Array> {
  checkShape(input, channels, shape, 'flip input');
  check(Number.isInteger(mask) && mask >= 0 && mask < 8, `flip axis mask must be 0..7, got ${mask}`);
  const n = nat();
  if (!n) return flipRef(input, channels, shape, mask);
  const out = new Float32Array(input.length);
  await n.flip(input, out, channels, shape, mask, input.length >= ASYNC_MIN_ELEMENTS);
  return out;
}

export async function rot90(
  input: Float32Array,
  channels: number,
  shape: Shape3,
  k: number,
  a0: number,
  a1: number,
): Promise<{ data: Float32Array; shape: Shape3 }> {
  checkShape(input, channels, shape, 'rot90 input');
  check(Number.isInteger(k), 'rot90 k must be an integer');
  check([a0, a1].every((a) => a === 0 || a === 1 || a === 2) && a0 !== a1, `rot90 axes must be two different spatial axes 0..2, got (${a0}, ${a1})`);
  const outShape = rot90Shape(shape, k, a0, a1);
  const n = nat();
  if (!n) return { data: rot90Ref(input, channels, shape, k, a0, a1), shape: outShape };
  const out = new Float32Array(input.length);
  await n.rot90(input, out, channels, shape, k, a0, a1, input.length >= ASYNC_MIN_ELEMENTS);
  return { data: out, shape: outShape };
}

export async function cropPad(input: Float32Array, channels: number, inShape: Shape3, outShape: Shape3, start: Shape3, fill = 0): Promise<Float32Array> {
  checkShape(input, channels, inShape, 'crop/pad input');
  check(
    outShape.every((d) => Number.isInteger(d) && d > 0),
    `crop/pad output shape must be positive integers, got [${outShape}]`,
  );
  check(start.every(Number.isInteger), `crop/pad start must be integers, got [${start}]`);
  const n = nat();
  if (!n) return cropPadRef(input, channels, inShape, outShape, start, fill);
  const out = new Float32Array(channels * vox(outShape));
  await n.cropPad(input, out, channels, inShape, outShape, start, fill, out.length >= ASYNC_MIN_ELEMENTS);
  return out;
}

export async function gaussianNoise(input: Float32Array, seed: number, mean: number, std: number): Promise<Float32Array> {
  check(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32, `noise seed must be a 32-bit unsigned integer, got ${seed}`);
  const n = nat();
  if (!n) return gaussianNoiseRef(input, seed, mean, std);
  const out = new Float32Array(input.length);
  await n.gaussianNoise(input, out, seed, mean, std, input.length >= ASYNC_MIN_ELEMENTS);
  return out;
}

export async function fgBgIndices(
  label: Float32Array,
  labelChannels: number,
  image: Float32Array | null,
  imageChannels: number,
  spatial: number,
  imageThreshold: number,
): Promise<{ fg: Int32Array; bg: Int32Array }> {
  check(label.length === labelChannels * spatial, `label has ${label.length} elements, expected ${labelChannels}x${spatial}`);
  check(!image || image.length === imageChannels * spatial, `image has ${image?.length} elements, expected ${imageChannels}x${spatial}`);
  const n = nat();
  if (!n) return fgBgIndicesRef(label, labelChannels, image, imageChannels, spatial, imageThreshold);
  return n.fgBgIndices(label, labelChannels, image, imageChannels, spatial, imageThreshold, spatial >= ASYNC_MIN_ELEMENTS);
}

export function boundingBox(input: Float32Array, channels: number, shape: Shape3, threshold: number): { start: Shape3; end: Shape3 } | null {
  checkShape(input, channels, shape, 'bounding box input');
  const n = nat();
  return n ? n.boundingBox(input, channels, shape, threshold) : boundingBoxRef(input, channels, shape, threshold);
}

export async function oneHot(label: Float32Array, numClasses: number): Promise<Float32Array> {
  check(Number.isInteger(numClasses) && numClasses > 0, `one-hot num_classes must be a positive integer, got ${numClasses}`);
  const n = nat();
  if (!n) return oneHotRef(label, label.length, numClasses);
  const out = new Float32Array(label.length * numClasses);
  // out is fresh (all zeros): the kernel writes only the ones
  await n.oneHot(label, out, label.length, numClasses, out.length >= ASYNC_MIN_ELEMENTS, true);
  return out;
}
