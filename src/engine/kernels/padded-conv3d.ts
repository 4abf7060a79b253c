// Convolutions with PyTorch's explicit symmetric padding, in one native pass each. tfjs's conv3d
// knows only 'same' (asymmetric when the stride is > 1) and 'valid', so on other backends
// models/nn/conv.ts pads the input (PadV2, with a Slice in the gradient) before a strided conv
// and crops a transposed conv's output (Slice, with a PadV2 in the gradient): two extra copies
// of a feature map per layer and pass. The addon's geometry takes the padding itself:
//   ClaraConv3D                (x, filter)  → y        torch.nn.Conv3d(stride, padding)
//   ClaraConv3DBackpropInput   (dy, filter) → dx       its input gradient, and the forward pass of
//                                                      torch.nn.ConvTranspose3d(stride, padding,
//                                                      output_padding) with dx's shape given
//   ClaraConv3DBackpropFilter  (x, dy)      → dfilter  the filter gradient of both
// All three follow use_amp as tfjs's Conv3D kernels do (bf16 operands, fp32 accumulation).
import * as tf from '@tensorflow/tfjs';
import type { Tensor, Tensor5D } from '@tensorflow/tfjs';
import { ampEnabled } from '../amp.js';
import { CONV_AMP, convGeomArray } from '../../native/kernels.js';
import { defineGradient, defineKernel, f32, f32Backed, runKernel, sizeOf } from './kernel.js';
import { outputF32 } from '../output-pool.js';

const CONV = 'ClaraConv3D';
const CONV_INPUT_GRAD = 'ClaraConv3DBackpropInput';
const CONV_FILTER_GRAD = 'ClaraConv3DBackpropFilter';

type Triple = [number, number, number];

interface PaddedAttrs {
  strides: Triple;
  /** Zeros before and after each spatial axis (depth, height, width). */
  pads: Triple;
}

/** The addon's geometry of a conv from x [n, d, h, w, cin] to spatial size out with filter [kd, kh, kw, cin, cout]. */
function geometry(x: readonly number[], filter: readonly number[], out: readonly number[], { strides, pads }: PaddedAttrs): Int32Array {
  const [n, d, h, w, cin] = x;
  const [kd, kh, kw, , cout] = filter;
  return convGeomArray({
    n,
    d,
    h,
    w,
    cin,
    kd,
    kh,
    kw,
    cout,
    sd: strides[0],
    sh: strides[1],
    sw: strides[2],
    od: out[0],
    oh: out[1],
    ow: out[2],
    pf: pads[0],
    pt: pads[1],
    pl: pads[2],
  });
}

/** Output spatial size of the padded conv of spatial input `inp` (PyTorch's formula). */
function convOut(inp: readonly number[], filter: readonly number[], { strides, pads }: PaddedAttrs): Triple {
  return [0, 1, 2].map((i) => Math.floor((inp[i] + 2 * pads[i] - filter[i]) / strides[i]) + 1) as Triple;
}

export const paddedConv3dKernel = defineKernel<'x' | 'filter', PaddedAttrs>({
  name: CONV,
  mode: 'add',
  run({ x, filter }, be, attrs, k) {
    const out = convOut(x.shape.slice(1, 4), filter.shape, attrs);
    const shape = [x.shape[0], ...out, filter.shape[4]];
    const y = outputF32(sizeOf(shape), true);
    k.conv3dForward(f32(be, x)!, f32(be, filter)!, y, geometry(x.shape, filter.shape, out, attrs), ampEnabled() && CONV_AMP);
    return be.makeTensorInfo(shape, 'float32', y);
  },
});

export const paddedConv3dBackpropInputKernel = defineKernel<'dy' | 'filter', PaddedAttrs & { inputShape: number[] }>({
  name: CONV_INPUT_GRAD,
  mode: 'add',
  run({ dy, filter }, be, attrs, k) {
    const dx = outputF32(sizeOf(attrs.inputShape), true);
    k.conv3dBackpropInput(f32(be, dy)!, f32(be, filter)!, dx, geometry(attrs.inputShape, filter.shape, dy.shape.slice(1, 4), attrs), ampEnabled() && CONV_AMP);
    return be.makeTensorInfo(attrs.inputShape, 'float32', dx);
  },
});

export const paddedConv3dBackpropFilterKernel = defineKernel<'x' | 'dy', PaddedAttrs & { filterShape: number[] }>({
  name: CONV_FILTER_GRAD,
  mode: 'add',
  run({ x, dy }, be, attrs, k) {
    const dw = new Float32Array(sizeOf(attrs.filterShape));
    k.conv3dBackpropFilter(f32(be, x)!, f32(be, dy)!, dw, geometry(x.shape, attrs.filterShape, dy.shape.slice(1, 4), attrs), ampEnabled() && CONV_AMP);
    return be.makeTensorInfo(attrs.filterShape, 'float32', dw);
  },
});

const strides = (a: PaddedAttrs): PaddedAttrs => ({ strides: a.strides, pads: a.pads });

export const paddedConv3dGradient = defineGradient<PaddedAttrs>({
  kernelName: CONV,
  inputsToSave: ['x', 'filter'],
  grad: (dy, [x, filter], attrs) => ({
    x: () => runKernel(CONV_INPUT_GRAD, { dy: dy as Tensor, filter }, { ...strides(attrs), inputShape: x.shape }),
    filter: () => runKernel(CONV_FILTER_GRAD, { x, dy: dy as Tensor }, { ...strides(attrs), filterShape: filter.shape }),
  }),
});

export const paddedConv3dBackpropInputGradient = defineGradient<PaddedAttrs & { inputShape: number[] }>({
  kernelName: CONV_INPUT_GRAD,
  inputsToSave: ['dy', 'filter'],
  grad: (ddx, [dy, filter], attrs) => ({
    // the op is linear in both inputs: the forward conv of the same geometry, and its filter gradient
    dy: () => runKernel(CONV, { x: ddx as Tensor, filter }, strides(attrs)),
    filter: () => runKernel(CONV_FILTER_GRAD, { x: ddx as Tensor, dy }, { ...strides(attrs), filterShape: filter.shape }),
  }),
});

const usable = (ts: Tensor[]) => !!tf.getKernel(CONV, tf.getBackend()) && ts.every(f32Backed);

/**
 * torch.nn.Conv3d's convolution (no bias) of x [n, d, h, w, cin] with filter [kd, kh, kw, cin,
 * cout], stride and symmetric zero padding; undefined where the native kernels are not
 * registered on the current backend (the caller pads and runs tfjs's conv3d).
 */
export function paddedConv3d(x: Tensor5D, filter: Tensor5D, stride: Triple, pads: Triple): Tensor5D | undefined {
  if (!usable([x, filter]) || pads.some((p, i) => p > filter.shape[i] - 1)) return undefined;
  return runKernel(CONV, { x, filter }, { strides: stride, pads }) as Tensor5D;
}

/**
 * torch.nn.ConvTranspose3d's convolution (no bias) of x [n, d, h, w, cin] with filter [kd, kh,
 * kw, cout, cin] (tfjs's conv3dTranspose layout) to spatial size `out`
 * ((in - 1) * stride - 2 * padding + kernel + output_padding); undefined where the native
 * kernels are not registered on the current backend or `out` needs more than the padded
 * geometry gives (the caller runs tfjs's conv3dTranspose and crops).
 */
export function paddedConvTranspose3d(x: Tensor5D, filter: Tensor5D, stride: Triple, pads: Triple, out: Triple): Tensor5D | undefined {
  if (!usable([x, filter])) return undefined;
  const attrs = { strides: stride, pads };
  // the forward conv of the output's size must give back x's size (output_padding < stride)
  if (convOut(out, filter.shape, attrs).some((v, i) => v !== x.shape[i + 1])) return undefined;
  if (pads.some((p, i) => p > filter.shape[i] - 1)) return undefined;
  const inputShape = [x.shape[0], ...out, filter.shape[3]];
  return runKernel(CONV_INPUT_GRAD, { dy: x, filter }, { ...attrs, inputShape }) as Tensor5D;
}
