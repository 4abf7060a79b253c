// Conv3d / ConvTranspose3d with PyTorch's explicit padding semantics on NDHWC tensors.
// tfjs 'same' pads asymmetrically (more at the end) when the stride is > 1; PyTorch pads
// symmetrically. To give MONAI's exact outputs, strided convs pad explicitly then run 'valid',
// and transposed convs run 'valid' then crop `padding` from each side (and zero-fill
// output_padding at the end) before adding the bias. On cpu-native both take the padding
// inside the native conv instead (engine/kernels/padded-conv3d.ts: no pad or crop copies).
import * as tf from '@tensorflow/tfjs';
import { crop5d } from '../../engine/ops/js-ops.js';
import { paddedConv3d, paddedConvTranspose3d } from '../../engine/kernels/padded-conv3d.js';
import { type Layer, type ParamStore, type Triple, triple } from './params.js';

export interface ConvOptions {
  kernel?: number | number[];
  stride?: number | number[];
  /** PyTorch padding; default (k - 1) / 2 (MONAI's same_padding). */
  padding?: number | number[];
  bias?: boolean;
}

function samePadding(k: Triple, what: string): Triple {
  if (k.some((v) => v % 2 === 0)) throw new Error(`${what}: same padding needs odd kernel sizes, got [${k}]`);
  return k.map((v) => (v - 1) / 2) as Triple;
}

/** torch.nn.Conv3d(inC, outC, kernel, stride, padding, bias) as NDHWC; weight stored [kd,kh,kw,in,out]. */
export function conv3d(store: ParamStore, name: string, inC: number, outC: number, o: ConvOptions = {}): Layer {
  const k = triple(o.kernel ?? 3, `${name}: kernel_size`);
  const s = triple(o.stride ?? 1, `${name}: strides`);
  const p = o.padding === undefined ? samePadding(k, name) : triple(o.padding, `${name}: padding`);
  const bound = 1 / Math.sqrt(inC * k[0] * k[1] * k[2]);
  const w = store.uniform(`${name}.weight`, [...k, inC, outC], bound);
  const b = o.bias === false ? null : store.uniform(`${name}.bias`, [outC], bound);
  const sameAsTf = s.every((v) => v === 1) && k.every((v, i) => p[i] === (v - 1) / 2);
  return (x) => {
    let y: tf.Tensor5D;
    const native = sameAsTf ? undefined : paddedConv3d(x, w as tf.Tensor5D, s, p);
    if (sameAsTf) {
      y = tf.conv3d(x, w as tf.Tensor5D, 1, 'same');
    } else if (native) {
      y = native;
    } else {
      const padded = p.some((v) => v > 0)
        ? tf.pad(x, [
            [0, 0],
            [p[0], p[0]],
            [p[1], p[1]],
            [p[2], p[2]],
            [0, 0],
          ])
        : x;
      y = tf.conv3d(padded, w as tf.Tensor5D, s, 'valid');
    }
    return b ? tf.add(y, b) : y;
  };
}

export interface ConvTransposeOptions extends ConvOptions {
  /** PyTorch output_padding; default stride - 1 (MONAI's stride_minus_kernel_padding(1, stride)). */
  outputPadding?: number | number[];
}

/** torch.nn.ConvTranspose3d as NDHWC; weight stored [kd,kh,kw,out,in] (tfjs conv3dTranspose layout). */
export function convTranspose3d(store: ParamStore, name: string, inC: number, outC: number, o: ConvTransposeOptions = {}): Layer {
  const k = triple(o.kernel ?? 3, `${name}: kernel_size`);
  const s = triple(o.stride ?? 1, `${name}: strides`);
  const p = o.padding === undefined ? samePadding(k, name) : triple(o.padding, `${name}: padding`);
  const op = o.outputPadding === undefined ? (s.map((v) => v - 1) as Triple) : triple(o.outputPadding, `${name}: output_padding`);
  // PyTorch's fan_in for ConvTranspose weights [in, out, k...] is out * prod(k).
  const bound = 1 / Math.sqrt(outC * k[0] * k[1] * k[2]);
  const w = store.uniform(`${name}.weight`, [...k, outC, inC], bound);
  const b = o.bias === false ? null : store.uniform(`${name}.bias`, [outC], bound);
  return (x) => {
    const [n, d, h, wd] = x.shape;
    const inSp = [d, h, wd];
    const full = inSp.map((v, i) => (v - 1) * s[i] + k[i]);
    const want = inSp.map((v, i) => (v - 1) * s[i] - 2 * p[i] + k[i] + op[i]);
    const native = paddedConvTranspose3d(x, w as tf.Tensor5D, s, p, want as Triple);
    if (native) return b ? tf.add(native, b) : native;
    let y = tf.conv3dTranspose(x, w as tf.Tensor5D, [n, full[0], full[1], full[2], outC], s, 'valid');
    const crop = full.map((v, i) => Math.min(want[i], v - p[i]));
    if (p.some((v) => v > 0) || crop.some((v, i) => v !== full[i])) {
      y = crop5d(y, [p[0], p[1], p[2]], [crop[0], crop[1], crop[2]]);
    }
    const extra = want.map((v, i) => v - crop[i]);
    if (extra.some((v) => v > 0))
      y = tf.pad(y, [
        [0, 0],
        [0, extra[0]],
        [0, extra[1]],
        [0, extra[2]],
        [0, 0],
      ]);
    return b ? tf.add(y, b) : y;
  };
}
