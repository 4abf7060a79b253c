// MONAI's UNet (monai.networks.nets.UNet) on NDHWC tensors: residual units, strided conv down,
// transposed conv up, skip concatenation [x, sub(x)], and MONAI's block order and names.
import { concatChannels } from '../engine/ops/js-ops.js';
import { ensureGradients } from '../engine/gradients/index.js';
import { type BlockOptions, convolution, residualUnit } from './nn/blocks.js';
import { type Layer, ParamStore, sequential } from './nn/params.js';
import { parseSpec } from './nn/spec.js';
import { type SegModel, makeSegModel } from './seg-model.js';

export interface UNetOptions {
  spatialDims?: number;
  inChannels: number;
  outChannels: number;
  channels: number[];
  strides: number[];
  kernelSize?: number | number[];
  upKernelSize?: number | number[];
  numResUnits?: number;
  act?: unknown;
  norm?: unknown;
  dropout?: number;
  bias?: boolean;
  adnOrdering?: string;
  seed?: number;
}

export function buildUNet(opts: UNetOptions): SegModel {
  ensureGradients();
  const dims = opts.spatialDims ?? 3;
  if (dims !== 3) throw new Error(`UNet: spatial_dims must be 3 (NDHWC volumes), got ${dims}`);
  const { channels, strides } = opts;
  if (!Array.isArray(channels) || channels.length < 2) throw new Error('UNet: channels needs at least 2 entries');
  if (!Array.isArray(strides) || strides.length < channels.length - 1)
    throw new Error(`UNet: strides needs len(channels) - 1 = ${channels.length - 1} entries`);
  for (const s of strides) if (!Number.isInteger(s) || s < 1) throw new Error(`UNet: strides must be positive integers, got ${JSON.stringify(strides)}`);
  const nres = opts.numResUnits ?? 0;
  const store = new ParamStore(opts.seed ?? 0);
  try {
    const base: BlockOptions = {
      kernel: opts.kernelSize ?? 3,
      act: parseSpec(opts.act === undefined ? 'prelu' : opts.act, 'UNet act'),
      norm: parseSpec(opts.norm === undefined ? 'instance' : opts.norm, 'UNet norm'),
      dropout: opts.dropout ?? 0,
      bias: opts.bias ?? true,
      adnOrdering: opts.adnOrdering ?? 'NDA',
    };
    const up: BlockOptions = { ...base, kernel: opts.upKernelSize ?? 3 };

    const down = (name: string, inC: number, outC: number, s: number): Layer =>
      nres > 0 ? residualUnit(store, name, inC, outC, s, nres, base) : convolution(store, name, inC, outC, s, base);

    const upLayer = (name: string, inC: number, outC: number, s: number, isTop: boolean): Layer => {
      if (nres === 0) return convolution(store, name, inC, outC, s, up, { transposed: true, convOnly: isTop });
      const conv = convolution(store, `${name}.0`, inC, outC, s, up, { transposed: true });
      const ru = residualUnit(store, `${name}.1`, outC, outC, 1, 1, base, isTop);
      return sequential(conv, ru);
    };

    // Parameters are created in MONAI's order: down, then the subblock, then up.
    const block = (name: string, inc: number, outc: number, ch: number[], st: number[], isTop: boolean): Layer => {
      const c = ch[0],
        s = st[0];
      const d = down(`${name}.0`, inc, c, s);
      let sub: Layer, upc: number;
      if (ch.length > 2) {
        sub = block(`${name}.1.submodule`, c, c, ch.slice(1), st.slice(1), false);
        upc = c * 2;
      } else {
        sub = down(`${name}.1.submodule`, c, ch[1], 1);
        upc = c + ch[1];
      }
      const u = upLayer(`${name}.2`, upc, outc, s, isTop);
      return (x, training) => {
        const y = d(x, training);
        return u(concatChannels(y, sub(y, training)), training);
      };
    };
    const net = block('model', opts.inChannels, opts.outChannels, channels, strides.slice(0, channels.length - 1), true);
    const divisor = strides.slice(0, channels.length - 1).reduce((a, b) => a * b, 1);
    return makeSegModel('UNet', store, net, opts.inChannels, opts.outChannels, [divisor, divisor, divisor]);
  } catch (e) {
    store.dispose();
    throw e;
  }
}
