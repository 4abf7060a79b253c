// Model factories from config args (MONAI 4.x names and Clara 3.x names).
import type { BuildContext } from '../components/registry.js';
import { Args } from '../components/args.js';
import { ClaraError } from '../util/errors.js';
import { buildSegResNet } from './segresnet.js';
import type { SegModel } from './seg-model.js';
import { buildUNet } from './unet.js';

export const UNET_ARGS = [
  'spatial_dims',
  'dimensions',
  'in_channels',
  'out_channels',
  'num_classes',
  'channels',
  'strides',
  'kernel_size',
  'up_kernel_size',
  'num_res_units',
  'act',
  'norm',
  'dropout',
  'bias',
  'adn_ordering',
  'use_batch_norm',
  'use_group_norm',
  'use_group_normG',
  'seed',
];

export const SEGRESNET_ARGS = [
  'spatial_dims',
  'dimensions',
  'init_filters',
  'in_channels',
  'out_channels',
  'num_classes',
  'dropout_prob',
  'act',
  'norm',
  'norm_name',
  'num_groups',
  'use_conv_final',
  'blocks_down',
  'blocks_up',
  'upsample_mode',
  'seed',
  // Clara 3.x SegResnet
  'use_batch_norm',
  'use_group_norm',
  'use_group_normG',
  'leaky_relu_alpha',
  'final_activation',
  'reg_weight',
  'use_vae',
  'pabloBN',
  'factor',
  'skipConnection',
  'concat_enc_dec',
  'blockHas2convs',
  'data_format',
];

/** Clara 3.x norm flags → a MONAI norm spec (undefined when none is given). */
function claraNorm(a: Args): unknown {
  if (a.bool('use_group_norm', false)) return ['group', { num_groups: a.num('use_group_normG', 8, { int: true, min: 1 }) }];
  if (a.bool('use_batch_norm', false)) return 'batch';
  if (a.has('use_group_norm', 'use_batch_norm')) return 'instance';
  return undefined;
}

function withSpec(m: SegModel, name: string, args: Record<string, unknown>): SegModel {
  m.spec = { name, args };
  return m;
}

export function unetFactory(raw: Record<string, unknown>, ctx: BuildContext): SegModel {
  const a = new Args(raw, ctx);
  const dims = a.num(['spatial_dims', 'dimensions'], 3, { int: true });
  if (dims !== 3) a.fail(a.pick('spatial_dims', 'dimensions')![0], '3 (clara-train segments 3D volumes)');
  const channels = a.ints('channels', undefined);
  if (!channels || channels.length < 2) return a.fail('channels', 'a list of at least 2 channel counts');
  const strides = a.ints('strides', undefined);
  if (!strides || strides.length < channels.length - 1) return a.fail('strides', `a list of ${channels.length - 1} strides (len(channels) - 1)`);
  const norm = a.has('norm') ? raw.norm : claraNorm(a);
  try {
    return withSpec(
      buildUNet({
        spatialDims: 3,
        inChannels: a.num('in_channels', 1, { int: true, min: 1 }),
        outChannels: a.num(['out_channels', 'num_classes'], 2, { int: true, min: 1 }),
        channels,
        strides,
        kernelSize: a.ints('kernel_size', undefined, 3) ?? 3,
        upKernelSize: a.ints('up_kernel_size', undefined, 3) ?? 3,
        numResUnits: a.num('num_res_units', 0, { int: true, min: 0 }),
        act: raw.act,
        norm,
        dropout: a.num('dropout', 0, { min: 0, max: 0.999 }),
        bias: a.bool('bias', true),
        adnOrdering: a.str('adn_ordering', 'NDA'),
        seed: a.num('seed', 0, { int: true }),
      }),
      'UNet',
      raw,
    );
  } catch (e) {
    if (e instanceof ClaraError) throw e;
    throw new ClaraError((e as Error).message, { file: ctx.file, path: `${ctx.path}.args` });
  }
}

export interface SegResNetModel extends SegModel {
  /** Clara 3.x final_activation (applied by post transforms, not inside the model). */
  finalActivation?: string;
  /** Clara 3.x reg_weight: L2 weight decay the trainer adds to the loss. */
  regWeight?: number;
}

export function segResNetFactory(raw: Record<string, unknown>, ctx: BuildContext): SegResNetModel {
  const a = new Args(raw, ctx);
  const dims = a.num(['spatial_dims', 'dimensions'], 3, { int: true });
  if (dims !== 3) a.fail(a.pick('spatial_dims', 'dimensions')![0], '3 (clara-train segments 3D volumes)');
  a.only('use_vae', false);
  a.only('pabloBN', false);
  a.only('factor', 2);
  a.only('skipConnection', true);
  a.only('concat_enc_dec', false);
  a.only('blockHas2convs', true);
  if (a.has('data_format') && !['channels_first', 'channels_last'].includes(String(raw.data_format))) a.fail('data_format', 'channels_first or channels_last');
  let norm: unknown = raw.norm;
  if (norm === undefined && a.has('norm_name')) {
    if (String(raw.norm_name).toLowerCase() !== 'group') a.fail('norm_name', '"group" (use norm for other kinds)');
    norm = ['group', { num_groups: a.num('num_groups', 8, { int: true, min: 1 }) }];
  }
  if (norm === undefined) norm = claraNorm(a);
  if (norm === undefined && a.has('num_groups')) norm = ['group', { num_groups: a.num('num_groups', 8, { int: true, min: 1 }) }];
  let act: unknown = raw.act;
  if (act === undefined && a.has('leaky_relu_alpha')) act = ['leakyrelu', { negative_slope: a.num('leaky_relu_alpha', 0.01) }];
  const dp = a.optNum('dropout_prob', { min: 0 });
  try {
    const m: SegResNetModel = buildSegResNet({
      spatialDims: 3,
      initFilters: a.num('init_filters', 8, { int: true, min: 1 }),
      inChannels: a.num('in_channels', 1, { int: true, min: 1 }),
      outChannels: a.num(['out_channels', 'num_classes'], 2, { int: true, min: 1 }),
      dropoutProb: dp === undefined || dp === 0 ? null : dp,
      act,
      norm,
      blocksDown: a.ints('blocks_down', [1, 2, 2, 4]),
      blocksUp: a.ints('blocks_up', [1, 1, 1]),
      upsampleMode: a.str('upsample_mode', 'nontrainable', ['nontrainable', 'deconv'] as const),
      useConvFinal: a.bool('use_conv_final', true),
      seed: a.num('seed', 0, { int: true }),
    });
    if (a.has('final_activation')) m.finalActivation = a.str('final_activation', 'softmax', ['softmax', 'sigmoid', 'linear'] as const);
    if (a.has('reg_weight')) m.regWeight = a.num('reg_weight', 0, { min: 0 });
    return withSpec(m, 'SegResNet', raw) as SegResNetModel;
  } catch (e) {
    if (e instanceof ClaraError) throw e;
    throw new ClaraError((e as Error).message, { file: ctx.file, path: `${ctx.path}.args` });
  }
}
