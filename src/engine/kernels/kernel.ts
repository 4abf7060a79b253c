// The typed shape of one kernel the engine registers on tfjs's 'cpu' backend (one file per
// kernel in this folder, listed in ./index.ts), and the helpers every kernel file shares:
// typed attrs and inputs (the one place tfjs's untyped maps are narrowed), the backend's
// typed arrays, and typed runKernel for gradients.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import type { NativeAddon } from '../../native/binding.js';
import type { NumArray } from '../strided-copy.js';

/** What the kernels need of tfjs's MathBackendCPU. */
export interface CpuBackendLike {
  data: { get(dataId: unknown): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array | Int32Array | Uint8Array): TensorInfo;
}

type KernelOut = TensorInfo | TensorInfo[];

/** One kernel: typed inputs and attrs, run against the addon. */
interface KernelDef<I extends string, A> {
  /** tfjs's kernel name (replaced) or a clara-train one (added). */
  name: string;
  /**
   * 'replace': registered over tfjs's own 'cpu' kernel, and returning undefined hands the call
   * to that original (the fallback for shapes, dtypes or attrs the native path does not cover);
   * 'add': a new kernel name that always runs here.
   */
  mode: 'replace' | 'add';
  run(inputs: Record<I, TensorInfo>, backend: CpuBackendLike, attrs: A, addon: NativeAddon): KernelOut | undefined;
}

/** A kernel with its types erased, as the registry holds it. */
export interface EngineKernel {
  name: string;
  mode: 'replace' | 'add';
  run(inputs: NamedTensorInfoMap, backend: CpuBackendLike, attrs: NamedAttrMap, addon: NativeAddon): KernelOut | undefined;
}

/** Declares a kernel; its inputs and attrs are typed as tfjs passes them for this kernel name. */
export function defineKernel<I extends string, A = Record<string, never>>(def: KernelDef<I, A>): EngineKernel {
  return {
    name: def.name,
    mode: def.mode,
    run: (inputs, backend, attrs, addon) => def.run(inputs as Record<I, TensorInfo>, backend, attrs as unknown as A, addon),
  };
}

/** A gradient replaced while the kernels are registered; undefined hands the call to tfjs's own. */
interface GradientDef<A> {
  kernelName: string;
  /** For the gradient of an added kernel (tfjs has none): what tfjs saves for it. */
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  /** dy is an array for a kernel with several outputs. */
  grad(dy: Tensor | Tensor[], saved: Tensor[], attrs: A): Record<string, () => Tensor> | undefined;
}

export interface EngineGradient {
  kernelName: string;
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  grad(dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap): Record<string, () => Tensor> | undefined;
}

export function defineGradient<A = Record<string, never>>(def: GradientDef<A>): EngineGradient {
  return { ...def, grad: (dy, saved, attrs) => def.grad(dy, saved, attrs as unknown as A) };
}

/** Runs a kernel by name with typed attrs (gradients call the engine's own kernels this way). */
export function runKernel(name: string, inputs: Record<string, Tensor>, attrs: object = {}): Tensor {
  return tf.engine().runKernel(name, inputs, attrs as NamedAttrMap) as Tensor;
}

/** runKernel for a kernel with several outputs. */
export function runKernelOutputs(name: string, inputs: Record<string, Tensor>, attrs: object = {}): Tensor[] {
  return tf.engine().runKernel(name, inputs, attrs as NamedAttrMap) as Tensor[];
}

/** The tensor's values when it is float32 on the cpu backend; undefined otherwise. */
export function f32(backend: CpuBackendLike, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : undefined;
}

/** The values of a float32, int32 or bool tensor; undefined for other dtypes. */
export function numeric(backend: CpuBackendLike, t: TensorInfo): NumArray | undefined {
  const v = backend.data.get(t.dataId).values;
  if (t.dtype === 'float32' && v instanceof Float32Array) return v;
  if (t.dtype === 'int32' && v instanceof Int32Array) return v;
  if (t.dtype === 'bool' && v instanceof Uint8Array) return v;
  return undefined;
}

/** A zeroed array of `like`'s type. */
export function alloc(like: NumArray, n: number): NumArray {
  return like instanceof Float32Array ? new Float32Array(n) : like instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
}

export const sizeOf = (shape: readonly number[]) => tf.util.sizeFromShape(shape as number[]);

/** True for dilations tfjs passes as "none" (undefined, 1 or all ones). */
export const noDilation = (d: unknown) => d === undefined || d === 1 || (Array.isArray(d) && d.every((x) => x === 1));

/** The gradient may run the native kernels: cpu backend, tensors alive and Float32Array-backed. */
export const onNativeCpu = (ts: Tensor[]) => ts.every(f32Backed);

/**
 * True when t lives on the cpu backend as a Float32Array. tfjs's Cast from int32 or bool to
 * float32 keeps the integer array under the float32 dtype, so dtype alone does not tell; the
 * engine's added kernels (which have no tfjs fallback) are only called on tensors passing this.
 */
export function f32Backed(t: Tensor): boolean {
  if (t.dtype !== 'float32' || t.isDisposed || tf.getBackend() !== 'cpu') return false;
  return (tf.backend() as unknown as CpuBackendLike).data.get(t.dataId).values instanceof Float32Array;
}
