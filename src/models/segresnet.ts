// MONAI's SegResNet (monai.networks.nets.SegResNet, Myronenko 2018 without the VAE branch)
// on NDHWC tensors, with MONAI's block order and parameter names.
import * as tf from '@tensorflow/tfjs';
import { ensureGradients } from '../engine/gradients/index.js';
import { upsampleTrilinear3d } from '../engine/layers/upsampling3d.js';
import { actLayer, dropoutLayer } from './nn/act.js';
import { conv3d, convTranspose3d } from './nn/conv.js';
import { normLayer } from './nn/norm.js';
import { type Layer, ParamStore, sequential } from './nn/params.js';
import { type LayerSpec, parseSpec } from './nn/spec.js';
import { type SegModel, makeSegModel } from './seg-model.js';

export type UpsampleMode = 'nontrainable' | 'deconv';

export interface SegResNetOptions {
  spatialDims?: number;
  initFilters?: number;
  inChannels?: number;
  outChannels?: number;
  dropoutProb?: number | null;
  act?: unknown;
  norm?: unknown;
  blocksDown?: number[];
  blocksUp?: number[];
  upsampleMode?: UpsampleMode;
  useConvFinal?: boolean;
  seed?: number;
}

function resBlock(store: ParamStore, name: string, c: number, norm: LayerSpec, act: LayerSpec): Layer {
  // a ReLU is folded into the norm before it (one native pass each way on cpu-native)
  const fuse = act.name === 'relu';
  const n1 = normLayer(store, `${name}.norm1`, norm, c, fuse ? { name: 'relu' } : undefined)!;
  const n2 = normLayer(store, `${name}.norm2`, norm, c, fuse ? { name: 'relu' } : undefined)!;
  const a = actLayer(store, `${name}.act`, act)!;
  const c1 = conv3d(store, `${name}.conv1.conv`, c, c, { kernel: 3, bias: false });
  const c2 = conv3d(store, `${name}.conv2.conv`, c, c, { kernel: 3, bias: false });
  const body = fuse ? sequential(n1, c1, n2, c2) : sequential(n1, a, c1, n2, a, c2);
  return (x, training) => tf.add(body(x, training), x);
}

export function buildSegResNet(o: SegResNetOptions): SegModel {
  ensureGradients();
  if ((o.spatialDims ?? 3) !== 3) throw new Error(`SegResNet: spatial_dims must be 3, got ${o.spatialDims}`);
  const f = o.initFilters ?? 8;
  const inC = o.inChannels ?? 1,
    outC = o.outChannels ?? 2;
  const blocksDown = o.blocksDown ?? [1, 2, 2, 4];
  const blocksUp = o.blocksUp ?? [1, 1, 1];
  if (blocksUp.length >= blocksDown.length)
    throw new Error(`SegResNet: blocks_up (${blocksUp.length} levels) must have fewer levels than blocks_down (${blocksDown.length})`);
  const mode = o.upsampleMode ?? 'nontrainable';
  if (mode !== 'nontrainable' && mode !== 'deconv') throw new Error(`SegResNet: upsample_mode must be 'nontrainable' or 'deconv', got '${String(mode)}'`);
  const norm = parseSpec(o.norm ?? ['group', { num_groups: 8 }], 'SegResNet norm')!;
  const act = parseSpec(o.act ?? 'relu', 'SegResNet act')!;
  const store = new ParamStore(o.seed ?? 0);
  try {
    const convInit = conv3d(store, 'convInit.conv', inC, f, { kernel: 3, bias: false });
    const drop = o.dropoutProb != null ? dropoutLayer(store, o.dropoutProb, true) : null;
    const downs: Layer[] = blocksDown.map((nb, i) => {
      const c = f * 2 ** i;
      const pre: Layer[] = i > 0 ? [conv3d(store, `down_layers.${i}.0.conv`, c / 2, c, { kernel: 3, stride: 2, bias: false })] : [];
      const blocks = Array.from({ length: nb }, (_, j) => resBlock(store, `down_layers.${i}.${j + 1}`, c, norm, act));
      return sequential(...pre, ...blocks);
    });
    const nUp = blocksUp.length;
    const ups: Layer[] = [],
      upSamples: Layer[] = [];
    for (let i = 0; i < nUp; i++) {
      const c = f * 2 ** (nUp - i);
      ups.push(sequential(...Array.from({ length: blocksUp[i] }, (_, j) => resBlock(store, `up_layers.${i}.${j}`, c / 2, norm, act))));
      const red = conv3d(store, `up_samples.${i}.0.conv`, c, c / 2, { kernel: 1, bias: false });
      const upl: Layer =
        mode === 'deconv'
          ? convTranspose3d(store, `up_samples.${i}.1.deconv`, c / 2, c / 2, { kernel: 2, stride: 2, padding: 0, outputPadding: 0 })
          : (x) => upsampleTrilinear3d(x, 2);
      upSamples.push(sequential(red, upl));
    }
    const useFinal = o.useConvFinal ?? true;
    const final = useFinal
      ? sequential(
          ...(act.name === 'relu'
            ? [normLayer(store, 'conv_final.0', norm, f, { name: 'relu' })!]
            : [normLayer(store, 'conv_final.0', norm, f)!, actLayer(store, 'conv_final.1', act)!]),
          conv3d(store, 'conv_final.2.conv', f, outC, { kernel: 1, bias: true }),
        )
      : null;

    const net: Layer = (x, training) => {
      let y = convInit(x, training);
      if (drop) y = drop(y, training);
      const skips: tf.Tensor5D[] = [];
      for (const d of downs) {
        y = d(y, training);
        skips.push(y);
      }
      skips.reverse();
      for (let i = 0; i < nUp; i++) {
        y = ups[i](tf.add(upSamples[i](y, training), skips[i + 1]), training);
      }
      return final ? final(y, training) : y;
    };
    const div = 2 ** (blocksDown.length - 1);
    return makeSegModel('SegResNet', store, net, inC, useFinal ? outC : f, [div, div, div]);
  } catch (e) {
    store.dispose();
    throw e;
  }
}
