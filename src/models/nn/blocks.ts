// MONAI's Convolution (conv + ADN) and ResidualUnit, with MONAI's parameter names.
import * as tf from '@tensorflow/tfjs';
import { actLayer, dropoutLayer, preluAlpha } from './act.js';
import { conv3d, convTranspose3d } from './conv.js';
import { type FoldedAct, normLayer } from './norm.js';
import { type Layer, type ParamStore, sequential } from './params.js';
import type { LayerSpec } from './spec.js';

export interface BlockOptions {
  kernel: number | number[];
  act: LayerSpec | null;
  norm: LayerSpec | null;
  dropout: number;
  bias: boolean;
  adnOrdering: string;
}

/** monai.networks.blocks.ADN: norm (N), dropout (D), act (A) in `ordering`. */
function adn(store: ParamStore, name: string, channels: number, o: BlockOptions): Layer | null {
  const parts: Layer[] = [];
  // a ReLU or PReLU right after the norm (no dropout between) is folded into the norm layer
  // (PReLU's weight is still the parameter `${name}.A.weight`, made after the norm's)
  const order = o.adnOrdering.toUpperCase();
  const fuse = !!o.norm && (o.act?.name === 'relu' || o.act?.name === 'prelu') && order.replace(o.dropout > 0 ? '' : 'D', '').includes('NA');
  let folded: FoldedAct | undefined;
  if (fuse) folded = { name: o.act!.name as FoldedAct['name'] };
  for (const ch of fuse ? order.replace('A', '') : order) {
    if (ch === 'N' && folded?.name === 'prelu') {
      const norm = normLayer(store, `${name}.N`, o.norm, channels, folded)!;
      folded.alpha = preluAlpha(store, `${name}.A`, o.act!);
      parts.push(norm);
      continue;
    }
    const l =
      ch === 'N'
        ? normLayer(store, `${name}.N`, o.norm, channels, folded)
        : ch === 'A'
          ? actLayer(store, `${name}.A`, o.act)
          : ch === 'D'
            ? dropoutLayer(store, o.dropout, false)
            : (() => {
                throw new Error(`adn_ordering: unknown letter '${ch}' (expected N, D, A)`);
              })();
    if (l) parts.push(l);
  }
  return parts.length ? sequential(...parts) : null;
}

/** monai.networks.blocks.Convolution (conv, then ADN unless conv_only). */
export function convolution(
  store: ParamStore,
  name: string,
  inC: number,
  outC: number,
  stride: number | number[],
  o: BlockOptions,
  extra: { convOnly?: boolean; transposed?: boolean } = {},
): Layer {
  const conv = extra.transposed
    ? convTranspose3d(store, `${name}.conv`, inC, outC, { kernel: o.kernel, stride, bias: o.bias })
    : conv3d(store, `${name}.conv`, inC, outC, { kernel: o.kernel, stride, bias: o.bias });
  const post = extra.convOnly ? null : adn(store, `${name}.adn`, outC, o);
  return post ? sequential(conv, post) : conv;
}

/** monai.networks.blocks.ResidualUnit. */
export function residualUnit(
  store: ParamStore,
  name: string,
  inC: number,
  outC: number,
  stride: number,
  subunits: number,
  o: BlockOptions,
  lastConvOnly = false,
): Layer {
  const units: Layer[] = [];
  let sc = inC,
    ss = stride;
  const n = Math.max(1, subunits);
  for (let su = 0; su < n; su++) {
    units.push(convolution(store, `${name}.conv.unit${su}`, sc, outC, ss, o, { convOnly: lastConvOnly && su === n - 1 }));
    sc = outC;
    ss = 1;
  }
  let residual: Layer = (x) => x;
  if (stride !== 1 || inC !== outC) {
    residual =
      stride === 1
        ? conv3d(store, `${name}.residual`, inC, outC, { kernel: 1, padding: 0, bias: o.bias })
        : conv3d(store, `${name}.residual`, inC, outC, { kernel: o.kernel, stride, bias: o.bias });
  }
  const body = sequential(...units);
  return (x, training) => tf.add(body(x, training), residual(x, training));
}
