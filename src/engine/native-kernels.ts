// Registers the addon's kernels over tfjs's pure-JS 'cpu' kernels: Conv3D and its
// two gradients, Max/AvgPool3D and their gradients, and (found hot by profiling a
// 3D UNet step once the convs were native) broadcasting Add/Sub/Mul/Div, Relu,
// Step, Softmax in C++ and Slice/SplitV/Tile/Concat as TypeScript run copies
// (channel-axis Concat and SplitV — a skip connection and its gradient — as one native
// pass each), plus the custom kernels ClaraUpsampleNearest3D and its gradient.
// Geometry comes from tfjs's own backend_util (so padding and output shapes are
// exactly tfjs's); anything not covered (dilation != 1, other dtypes, rank > 8,
// channels-first pooling, softmax on another axis) falls through to the original.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { native } from '../native/loader.js';
import type { NativeKernels } from '../native/kernels.js';
import { convGeomArray, convGeomFromInfo, poolGeomArray, poolGeomFromInfo, broadcastStrides, collapseBroadcast, BINARY_OPS, type BinaryOpName } from '../native/kernels.js';
import { ampEnabled } from './amp.js';
import { concatCopy, sliceCopy, tileCopy, type NumArray } from './strided-copy.js';
import type { NativeDataMove } from '../native/datamove.js';

/** Kernels replaced by the addon's C++ kernels on the 'cpu' backend. */
export const NATIVE_KERNEL_NAMES = [
  'Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2', 'MaxPool3D', 'MaxPool3DGrad', 'AvgPool3D', 'AvgPool3DGrad',
  'Add', 'Sub', 'Multiply', 'RealDiv', 'Relu', 'Step', 'Softmax',
] as const;
/** Kernels replaced by faster TypeScript (run-copying) versions: profiled hot in a UNet step. */
export const TS_FAST_KERNEL_NAMES = ['Slice', 'SplitV', 'Tile', 'Concat'] as const;
/**
 * Gradients replaced while the native kernels are registered: ReLU's (dy * step(x),
 * two passes and a temporary in tfjs) and Tile's (one slice + add per repetition in
 * tfjs) run as one native pass each on the 'cpu' backend; other backends and dtypes
 * keep tfjs's gradient.
 */
export const NATIVE_GRADIENT_NAMES = ['Relu', 'Tile'] as const;
const RELU_GRAD = 'ClaraReluGrad';
const TILE_GRAD = 'ClaraTileGrad';
/**
 * Nearest 3D upsampling of an NDHWC float32 tensor by integer factors (attrs.size) and its
 * gradient (block sums), one native pass each; registered on 'cpu' with the native kernels
 * (engine/ops/js-ops.ts nearestUpsample calls it when it is registered, loops otherwise).
 */
export const UPSAMPLE_NEAREST3D = 'ClaraUpsampleNearest3D';
export const UPSAMPLE_NEAREST3D_GRAD = 'ClaraUpsampleNearest3DGrad';

type ReplacedName = (typeof NATIVE_KERNEL_NAMES)[number] | (typeof TS_FAST_KERNEL_NAMES)[number];

interface CpuBackendLike {
  data: { get(dataId: unknown): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
}

const originals = new Map<string, KernelConfig>();
const gradOriginals = new Map<string, GradConfig>();
/** Calls per kernel name since registration (what ran natively). */
export const nativeCallCounts: Record<string, number> = {};

function numeric(backend: CpuBackendLike, t: TensorInfo): NumArray | undefined {
  const v = backend.data.get(t.dataId).values;
  if (t.dtype === 'float32' && v instanceof Float32Array) return v;
  if (t.dtype === 'int32' && v instanceof Int32Array) return v;
  if (t.dtype === 'bool' && v instanceof Uint8Array) return v;
  return undefined;
}

function alloc(like: NumArray, n: number): NumArray {
  return like instanceof Float32Array ? new Float32Array(n) : like instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
}

function sliceInfo(x: TensorInfo, be: CpuBackendLike, begin: number[], size: number[]): TensorInfo | undefined {
  const xv = numeric(be, x);
  if (!xv) return undefined;
  const [b, s] = tf.slice_util.parseSliceParams(x as never, begin, size);
  tf.slice_util.assertParamsValid(x as never, b, s);
  const out = alloc(xv, tf.util.sizeFromShape(s));
  sliceCopy(xv, x.shape, b, s, out);
  return be.makeTensorInfo(s, x.dtype, out as Float32Array);
}

function splitLastNative(xv: Float32Array | Int32Array, rows: number, widths: number[], k: NativeKernels): (Float32Array | Int32Array)[] {
  const parts = widths.map((w) => (xv instanceof Float32Array ? new Float32Array(rows * w) : new Int32Array(rows * w)));
  (k as unknown as NativeDataMove).splitLast4(xv, rows, parts);
  return parts;
}

function f32(backend: CpuBackendLike, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : undefined;
}

const isOne = (d: unknown) => d === undefined || d === 1 || (Array.isArray(d) && d.every((x) => x === 1));

type Impl = (inputs: Record<string, TensorInfo>, backend: CpuBackendLike, attrs: NamedAttrMap, k: NativeKernels) => TensorInfo | TensorInfo[] | undefined;

function binaryImpl(op: BinaryOpName): Impl {
  return ({ a, b }, be, _attrs, k) => {
    const av = f32(be, a), bv = f32(be, b);
    if (!av || !bv) return undefined;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (shape.length > 8) return undefined;
    const out = new Float32Array(tf.util.sizeFromShape(shape));
    const c = collapseBroadcast(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
    k.binaryF32(BINARY_OPS[op], c.shape, av, c.as, bv, c.bs, out);
    return be.makeTensorInfo(shape, 'float32', out);
  };
}

// Each impl returns undefined to hand the call to tfjs's original kernel.
const impls: Record<ReplacedName, Impl> = {
  Add: binaryImpl('add'),
  Sub: binaryImpl('sub'),
  Multiply: binaryImpl('mul'),
  RealDiv: binaryImpl('div'),
  Relu({ x }, be, _attrs, k) {
    const xv = f32(be, x);
    if (!xv) return undefined;
    const y = new Float32Array(xv.length);
    k.reluF32(xv, y);
    return be.makeTensorInfo(x.shape, 'float32', y);
  },
  Step({ x }, be, attrs, k) {
    const xv = f32(be, x);
    if (!xv) return undefined;
    const y = new Float32Array(xv.length);
    k.stepF32(xv, y, Number((attrs as { alpha?: number }).alpha ?? 0));
    return be.makeTensorInfo(x.shape, 'float32', y);
  },
  Softmax({ logits }, be, attrs, k) {
    const xv = f32(be, logits);
    const dim = Number((attrs as { dim?: number }).dim ?? -1);
    const r = logits.shape.length;
    if (!xv || r === 0 || (dim !== -1 && dim !== r - 1)) return undefined;
    const y = new Float32Array(xv.length);
    k.softmaxF32(xv, y, logits.shape[r - 1]);
    return be.makeTensorInfo(logits.shape, 'float32', y);
  },
  Slice({ x }, be, attrs) {
    const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
    return sliceInfo(x, be, begin as number[], size as number[]);
  },
  SplitV({ x }, be, attrs, k) {
    const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    if (!numeric(be, x)) return undefined;
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as never, numOrSizeSplits, ax);
    const xv = numeric(be, x)!;
    if (ax === x.shape.length - 1 && !(xv instanceof Uint8Array) && x.shape.length > 0) {
      // channel-axis split (the concat gradient): one native pass writing every part
      const rows = tf.util.sizeFromShape(x.shape.slice(0, -1));
      const parts = splitLastNative(xv, rows, sizes, k);
      return parts.map((p, i) => be.makeTensorInfo([...x.shape.slice(0, -1), sizes[i]], x.dtype, p as Float32Array));
    }
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[ax] = s;
      const t = sliceInfo(x, be, [...begin], size)!;
      begin[ax] += s;
      return t;
    });
  },
  Concat(inputs, be, attrs, k) {
    const xs = Object.values(inputs) as TensorInfo[];
    if (xs.length === 0) return undefined;
    const vals = xs.map((t) => numeric(be, t));
    if (vals.some((v) => !v) || xs.some((t) => t.dtype !== xs[0].dtype)) return undefined;
    const ax = tf.util.parseAxisParam((attrs as { axis: number }).axis, xs[0].shape)[0];
    const shape = tf.backend_util.computeOutShape(xs.map((t) => t.shape), ax);
    if (ax === shape.length - 1 && shape.length > 0 && !(vals[0] instanceof Uint8Array)) {
      // channel-axis concat: one native pass over the output rows
      const rows = tf.util.sizeFromShape(shape.slice(0, -1));
      const out = alloc(vals[0]!, tf.util.sizeFromShape(shape)) as Float32Array | Int32Array;
      (k as unknown as NativeDataMove).concatLast4(vals as (Float32Array | Int32Array)[], rows, out);
      return be.makeTensorInfo(shape, xs[0].dtype, out as Float32Array);
    }
    const out = alloc(vals[0]!, tf.util.sizeFromShape(shape));
    concatCopy(vals as NumArray[], xs.map((t) => t.shape), ax, out);
    return be.makeTensorInfo(shape, xs[0].dtype, out as Float32Array);
  },
  Tile({ x }, be, attrs) {
    const { reps } = attrs as unknown as { reps: number[] };
    const xv = numeric(be, x);
    if (!xv || reps.length !== x.shape.length) return undefined;
    const shape = x.shape.map((s, i) => s * reps[i]);
    const out = alloc(xv, tf.util.sizeFromShape(shape));
    tileCopy(xv, x.shape, reps, out);
    return be.makeTensorInfo(shape, x.dtype, out as Float32Array);
  },
  Conv3D({ x, filter }, be, attrs, k) {
    const { strides, pad, dilations } = attrs as unknown as { strides: number | number[]; pad: 'same' | 'valid'; dilations: number | number[] };
    if (!isOne(dilations)) return undefined;
    const xv = f32(be, x), wv = f32(be, filter);
    if (!xv || !wv) return undefined;
    const ci = tf.backend_util.computeConv3DInfo(x.shape as never, filter.shape as never, strides as never, 1, pad);
    const y = new Float32Array(tf.util.sizeFromShape(ci.outShape));
    k.conv3dForward(xv, wv, y, convGeomArray(convGeomFromInfo(ci)), ampEnabled());
    return be.makeTensorInfo(ci.outShape, 'float32', y);
  },
  Conv3DBackpropInputV2({ dy, filter }, be, attrs, k) {
    const { strides, pad, inputShape } = attrs as unknown as { strides: number | number[]; pad: 'same' | 'valid'; inputShape: number[] };
    const dv = f32(be, dy), wv = f32(be, filter);
    if (!dv || !wv) return undefined;
    const ci = tf.backend_util.computeConv3DInfo(inputShape as never, filter.shape as never, strides as never, 1, pad);
    const dx = new Float32Array(tf.util.sizeFromShape(ci.inShape));
    k.conv3dBackpropInput(dv, wv, dx, convGeomArray(convGeomFromInfo(ci)), ampEnabled());
    return be.makeTensorInfo(ci.inShape, 'float32', dx);
  },
  Conv3DBackpropFilterV2({ x, dy }, be, attrs, k) {
    const { strides, pad, filterShape } = attrs as unknown as { strides: number | number[]; pad: 'same' | 'valid'; filterShape: number[] };
    const xv = f32(be, x), dv = f32(be, dy);
    if (!xv || !dv) return undefined;
    const ci = tf.backend_util.computeConv3DInfo(x.shape as never, filterShape as never, strides as never, 1, pad);
    const dw = new Float32Array(tf.util.sizeFromShape(filterShape));
    k.conv3dBackpropFilter(xv, dv, dw, convGeomArray(convGeomFromInfo(ci)), ampEnabled());
    return be.makeTensorInfo(filterShape, 'float32', dw);
  },
  MaxPool3D({ x }, be, attrs, k) {
    return poolForward(x, be, attrs, (xv, y, g) => k.maxPool3d(xv, y, g));
  },
  AvgPool3D({ x }, be, attrs, k) {
    return poolForward(x, be, attrs, (xv, y, g) => k.avgPool3d(xv, y, g));
  },
  MaxPool3DGrad({ dy, input }, be, attrs, k) {
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as PoolAttrs;
    const dv = f32(be, dy), xv = f32(be, input);
    if (!dv || !xv) return undefined;
    const ci = tf.backend_util.computePool3DInfo(input.shape as never, filterSize as never, strides as never, 1, pad as never, dimRoundingMode as never);
    const dx = new Float32Array(tf.util.sizeFromShape(input.shape));
    k.maxPool3dGrad(xv, dv, dx, poolGeomArray(poolGeomFromInfo(ci)));
    return be.makeTensorInfo(input.shape, 'float32', dx);
  },
  AvgPool3DGrad({ dy, input }, be, attrs, k) {
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as PoolAttrs;
    const dv = f32(be, dy);
    if (!dv) return undefined;
    const ci = tf.backend_util.computePool3DInfo(input.shape as never, filterSize as never, strides as never, 1, pad as never, dimRoundingMode as never);
    const dx = new Float32Array(tf.util.sizeFromShape(input.shape));
    k.avgPool3dGrad(dv, dx, poolGeomArray(poolGeomFromInfo(ci)));
    return be.makeTensorInfo(input.shape, 'float32', dx);
  },
};

interface PoolAttrs {
  filterSize: number | number[];
  strides: number | number[];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NDHWC' | 'NCDHW';
}

function poolForward(x: TensorInfo, be: CpuBackendLike, attrs: NamedAttrMap, run: (x: Float32Array, y: Float32Array, g: Int32Array) => void): TensorInfo | undefined {
  const { filterSize, strides, pad, dimRoundingMode, dataFormat } = attrs as unknown as PoolAttrs;
  if (dataFormat && dataFormat !== 'NDHWC') return undefined;
  const xv = f32(be, x);
  if (!xv) return undefined;
  const ci = tf.backend_util.computePool3DInfo(x.shape as never, filterSize as never, strides as never, 1, pad as never, dimRoundingMode as never);
  const y = new Float32Array(tf.util.sizeFromShape(ci.outShape));
  run(xv, y, poolGeomArray(poolGeomFromInfo(ci)));
  return be.makeTensorInfo(ci.outShape, 'float32', y);
}

let upsampleGradRegistered = false;

function registerNativeGradients(k: NativeKernels): void {
  tf.registerKernel({
    kernelName: RELU_GRAD, backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      const be = backend as unknown as CpuBackendLike;
      const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
      const dx = new Float32Array(tf.util.sizeFromShape(x.shape));
      k.reluGradF32(f32(be, dy)!, f32(be, x)!, dx);
      nativeCallCounts[RELU_GRAD] = (nativeCallCounts[RELU_GRAD] ?? 0) + 1;
      return be.makeTensorInfo(x.shape, 'float32', dx);
    },
  });
  tf.registerKernel({
    kernelName: TILE_GRAD, backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as CpuBackendLike;
      const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
      const reps = (attrs as unknown as { reps: number[] }).reps;
      const dx = new Float32Array(tf.util.sizeFromShape(x.shape));
      k.tileGradF32(Float64Array.from(x.shape), Float64Array.from(reps), f32(be, dy)!, dx);
      nativeCallCounts[TILE_GRAD] = (nativeCallCounts[TILE_GRAD] ?? 0) + 1;
      return be.makeTensorInfo(x.shape, 'float32', dx);
    },
  });
  const dm = k as unknown as NativeDataMove;
  const upAttrs = (attrs: NamedAttrMap | undefined) => (attrs as unknown as { size: [number, number, number] }).size;
  tf.registerKernel({
    kernelName: UPSAMPLE_NEAREST3D, backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as CpuBackendLike;
      const { x } = inputs as { x: TensorInfo };
      const s = upAttrs(attrs), [n, d, h, w, c] = x.shape;
      const shape = [n, d * s[0], h * s[1], w * s[2], c];
      const y = new Float32Array(tf.util.sizeFromShape(shape));
      dm.upsampleNearest3dF32(f32(be, x)!, y, n, d, h, w, c, s[0], s[1], s[2]);
      nativeCallCounts[UPSAMPLE_NEAREST3D] = (nativeCallCounts[UPSAMPLE_NEAREST3D] ?? 0) + 1;
      return be.makeTensorInfo(shape, 'float32', y);
    },
  });
  tf.registerKernel({
    kernelName: UPSAMPLE_NEAREST3D_GRAD, backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as CpuBackendLike;
      const { dy } = inputs as { dy: TensorInfo };
      const s = upAttrs(attrs), [n, od, oh, ow, c] = dy.shape;
      const shape = [n, od / s[0], oh / s[1], ow / s[2], c];
      const dx = new Float32Array(tf.util.sizeFromShape(shape));
      dm.upsampleNearest3dGradF32(f32(be, dy)!, dx, n, shape[1], shape[2], shape[3], c, s[0], s[1], s[2]);
      nativeCallCounts[UPSAMPLE_NEAREST3D_GRAD] = (nativeCallCounts[UPSAMPLE_NEAREST3D_GRAD] ?? 0) + 1;
      return be.makeTensorInfo(shape, 'float32', dx);
    },
  });
  if (!upsampleGradRegistered) {
    // the gradient of a custom kernel name: registered once (tfjs has no unregisterGradient);
    // the op only runs the kernel while it is registered
    upsampleGradRegistered = true;
    tf.registerGradient({
      kernelName: UPSAMPLE_NEAREST3D,
      inputsToSave: [],
      gradFunc: (dy, _saved, attrs) => ({
        x: () => tf.engine().runKernel(UPSAMPLE_NEAREST3D_GRAD, { dy: dy as Tensor }, { size: upAttrs(attrs) } as unknown as NamedAttrMap) as Tensor,
      }),
    });
  }
  const onNative = (ts: Tensor[]) => tf.getBackend() === 'cpu' && ts.every((t) => t.dtype === 'float32' && !t.isDisposed);
  for (const name of NATIVE_GRADIENT_NAMES) gradOriginals.set(name, tf.getGradient(name));
  const relu = gradOriginals.get('Relu')!, tile = gradOriginals.get('Tile')!;
  tf.registerGradient({
    ...relu,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (Array.isArray(dy) || !onNative([dy, x])) return relu.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy, x }, {}) as Tensor };
    },
  });
  tf.registerGradient({
    ...tile,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const reps = (attrs as unknown as { reps: number[] }).reps;
      if (Array.isArray(dy) || !onNative([dy, x]) || x.rank > 8 || reps.length !== x.rank) return tile.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel(TILE_GRAD, { dy, x }, { reps } as unknown as NamedAttrMap) as Tensor };
    },
  });
}

function unregisterNativeGradients(): void {
  for (const [, g] of gradOriginals) tf.registerGradient(g);
  gradOriginals.clear();
  for (const name of [RELU_GRAD, TILE_GRAD, UPSAMPLE_NEAREST3D, UPSAMPLE_NEAREST3D_GRAD]) if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
}

/** True while the native kernels are registered over the 'cpu' backend. */
export function nativeKernelsRegistered(): boolean {
  return originals.size > 0;
}

/**
 * Registers the native kernels for the 'cpu' backend (idempotent). Throws the
 * loader's NativeLoadError (with a rebuild hint) when the addon is missing.
 */
export function registerNativeKernels(): void {
  if (originals.size > 0) return;
  const k = native() as unknown as NativeKernels;
  for (const name of [...NATIVE_KERNEL_NAMES, ...TS_FAST_KERNEL_NAMES]) {
    const orig = tf.getKernel(name, 'cpu');
    if (!orig) throw new Error(`clara-train engine: tfjs has no 'cpu' kernel '${name}' to replace (is @tensorflow/tfjs-backend-cpu loaded?)`);
    originals.set(name, orig);
    const impl = impls[name];
    const kernelFunc: KernelFunc = (args) => {
      const out = impl(args.inputs as Record<string, TensorInfo>, args.backend as unknown as CpuBackendLike, args.attrs ?? {}, k);
      if (out === undefined) return orig.kernelFunc(args) as TensorInfo;
      nativeCallCounts[name] = (nativeCallCounts[name] ?? 0) + 1;
      return out as TensorInfo;
    };
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ ...orig, kernelFunc });
  }
  registerNativeGradients(k);
}

/** Puts tfjs's own pure-JS kernels back (used by tests and benchmarks that compare). */
export function unregisterNativeKernels(): void {
  for (const [name, orig] of originals) {
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(orig);
  }
  originals.clear();
  unregisterNativeGradients();
}
