// Registers every transform under its Clara 4.x (MONAI) name and, where Clara 3.x had
// its own, the 3.x name with the 3.x argument names and defaults:
//   LoadImaged/LoadNifti, EnsureChannelFirstd/ConvertToChannelsFirst, Spacingd/ScaleByResolution,
//   ScaleIntensityRanged/ScaleIntensityRange, RandFlipd (RandomSpatialFlip is its own 3.x class),
//   RandGaussianNoised/AddGaussianNoise.
// Clara 3.x semantics assumed where the public docs are silent (documented in each class):
//   ScaleByResolution(fields, target_resolution, is_label=false) = Spacingd with nearest for labels;
//   CropFixedSizeRandomCenter(fields, size): uniform crop position fully inside the image;
//   RandomSpatialFlip(fields, probability=0.5): each axis flipped independently;
//   ScaleShiftIntensity(fields, scale, shift, probability=0.5): x·(1±scale) ± shift, random;
//   ScaleIntensityOscillation(fields, magnitude, probability=0.5): x·(1±magnitude), random;
//   AddGaussianNoise(fields, probability=0.5, variance=0.1): std = sqrt(variance).
import { registry, type BuildContext } from '../components/registry.js';
import { ClaraError } from '../util/errors.js';
import { argError, readBool, readNumber } from '../components/args.js';
import { keyList } from './base.js';
import { EnsureChannelFirstd, LoadImaged, ToTensord } from './io-transforms.js';
import {
  NormalizeIntensityd,
  RandGaussianNoised,
  RandScaleIntensityd,
  RandShiftIntensityd,
  ScaleIntensityOscillation,
  ScaleIntensityRanged,
  ScaleShiftIntensity,
} from './intensity-transforms.js';
import { Activationsd, AsDiscreted } from './post-transforms.js';
import './register-eval.js'; // Invertd, SaveImaged, Clara 3.x evaluation post-transforms
import {
  Affined,
  CropFixedSizeRandomCenter,
  CropForegroundd,
  Flipd,
  Orientationd,
  RandomAxisFlip,
  RandAffined,
  RandCropByPosNegLabeld,
  RandFlipd,
  RandomSpatialFlip,
  RandRotate90d,
  Rotate90d,
  SpatialPadd,
  Spacingd,
  type RandRange,
} from './spatial-transforms.js';

type Args = Record<string, unknown>;
const MONAI_COMMON = ['keys', 'allow_missing_keys', 'meta_keys', 'meta_key_postfix'];
const CLARA3_COMMON = ['fields'];

export function place(ctx: BuildContext, arg?: string) {
  return { file: ctx.file, path: arg ? `${ctx.path}.args.${arg}` : `${ctx.path}.args` };
}
function keysOf(a: Args, ctx: BuildContext, arg: 'keys' | 'fields'): string[] {
  if (a[arg] === undefined) throw new ClaraError(`missing required argument '${arg}'`, place(ctx));
  try {
    return keyList(a[arg], ctx.path, arg);
  } catch (e) {
    throw new ClaraError((e as Error).message, place(ctx, arg));
  }
}
function num(a: Args, k: string, ctx: BuildContext, dflt?: number): number {
  return readNumber(a[k] ?? dflt, k, place(ctx, k));
}
function nums(a: Args, k: string, ctx: BuildContext, len?: number): number[] {
  const v = a[k];
  const list = typeof v === 'number' && len ? Array(len).fill(v) : v;
  const expected = len ? `${len} numbers` : 'a list of numbers';
  if (!Array.isArray(list) || (len !== undefined && list.length !== len)) throw argError(k, expected, v, place(ctx, k));
  try {
    return list.map((x) => readNumber(x, k, place(ctx, k)));
  } catch {
    throw argError(k, expected, v, place(ctx, k));
  }
}
function bool(a: Args, k: string, ctx: BuildContext, dflt: boolean): boolean {
  return readBool(a[k] ?? dflt, k, place(ctx, k));
}
export function wrap<T>(ctx: BuildContext, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ClaraError && e.file) throw e;
    throw new ClaraError((e as Error).message, place(ctx));
  }
}
const amk = (a: Args) => a.allow_missing_keys === true;
/** A boolean, or (per key) a list of booleans. */
function boolOrList(a: Args, k: string, ctx: BuildContext): boolean | boolean[] | undefined {
  const v = a[k];
  if (v === undefined || v === null || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'boolean')))
    return (v ?? undefined) as boolean | boolean[] | undefined;
  throw new ClaraError(`'${k}' must be true, false or a list of them (one per key), got ${JSON.stringify(v)}`, place(ctx, k));
}
/** MONAI min_pixdim/max_pixdim: null, a number (axis 0 only, like ensure_tuple) or a list with null entries. */
function optPixdims(a: Args, k: string, ctx: BuildContext): number[] | undefined {
  const v = a[k];
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x))))
    throw new ClaraError(`'${k}' must be a number or a list of numbers/null, got ${JSON.stringify(v)}`, place(ctx, k));
  return list.map((x) => (x === null ? NaN : (x as number)));
}
/** Runs a constructor; its errors point at `arg`. */
function at<T>(ctx: BuildContext, arg: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ClaraError && e.file) throw e;
    throw new ClaraError((e as Error).message, place(ctx, arg));
  }
}
function refuseTrue(a: Args, k: string, ctx: BuildContext, why: string): void {
  if (a[k] === true) throw new ClaraError(`${k}=true is not supported: ${why}`, place(ctx, k));
}
function spatialSize(a: Args, k: string, ctx: BuildContext): number | number[] | null {
  const v = a[k];
  if (v === undefined || v === null) return null;
  if ((typeof v === 'number' && Number.isInteger(v)) || (Array.isArray(v) && v.length === 3 && v.every((x) => Number.isInteger(x))))
    return v as number | number[];
  throw new ClaraError(`'${k}' must be an integer or 3 integers (values < 1 keep the image size), got ${JSON.stringify(v)}`, place(ctx, k));
}

export function registerTransforms(): void {
  if (registry.has('LoadImaged')) return;
  const reg = (names: string[], args: string[], factory: (a: Args, ctx: BuildContext) => unknown, description: string) =>
    registry.register({ names, kind: 'transform', args, description, factory: (a, ctx) => wrap(ctx, () => factory(a, ctx)) });

  reg(
    ['LoadImaged'],
    [...MONAI_COMMON, 'reader', 'image_only', 'dtype', 'ensure_channel_first', 'simple_keys', 'prune_meta_pattern', 'prune_meta_sep', 'overwriting'],
    (a, ctx) => new LoadImaged(keysOf(a, ctx, 'keys'), { allowMissingKeys: amk(a) }),
    'loads NIfTI files named by keys',
  );
  reg(
    ['LoadNifti', 'LoadNiftid'],
    [...CLARA3_COMMON, 'as_closest_canonical', 'dtype'],
    (a, ctx) => new LoadImaged(keysOf(a, ctx, 'fields'), { name: 'LoadNifti' }),
    'Clara 3.x: loads NIfTI files named by fields',
  );
  reg(
    ['EnsureChannelFirstd', 'AddChanneld'],
    [...MONAI_COMMON, 'strict_check', 'channel_dim'],
    (a, ctx) => new EnsureChannelFirstd(keysOf(a, ctx, 'keys'), { allowMissingKeys: amk(a) }),
    'adds / moves the channel axis first',
  );
  reg(
    ['ConvertToChannelsFirst'],
    CLARA3_COMMON,
    (a, ctx) => new EnsureChannelFirstd(keysOf(a, ctx, 'fields'), { name: 'ConvertToChannelsFirst' }),
    'Clara 3.x: channel axis first',
  );
  reg(
    ['ToTensord', 'EnsureTyped'],
    [...MONAI_COMMON, 'dtype', 'device', 'wrap_sequence', 'track_meta', 'data_type'],
    (a, ctx) => new ToTensord(keysOf(a, ctx, 'keys'), amk(a)),
    'no-op: tensors are Float32Array [C,i,j,k]',
  );
  reg(
    ['Orientationd'],
    [...MONAI_COMMON, 'axcodes', 'as_closest_canonical', 'labels'],
    (a, ctx) => new Orientationd(keysOf(a, ctx, 'keys'), a.as_closest_canonical === true ? 'RAS' : String(a.axcodes ?? 'RAS'), amk(a)),
    'reorients to axcodes',
  );
  reg(
    ['Spacingd'],
    [
      ...MONAI_COMMON,
      'pixdim',
      'diagonal',
      'mode',
      'padding_mode',
      'align_corners',
      'dtype',
      'scale_extent',
      'recompute_affine',
      'min_pixdim',
      'max_pixdim',
      'ensure_same_shape',
      'lazy',
    ],
    (a, ctx) => {
      refuseTrue(a, 'lazy', ctx, 'transforms run eagerly');
      const pd = typeof a.pixdim === 'number' ? [a.pixdim] : nums(a, 'pixdim', ctx);
      const mode = a.mode as string | string[] | undefined,
        padding = a.padding_mode as string | string[] | undefined;
      const opts = {
        diagonal: bool(a, 'diagonal', ctx, false),
        align_corners: boolOrList(a, 'align_corners', ctx),
        scale_extent: boolOrList(a, 'scale_extent', ctx),
        recompute_affine: bool(a, 'recompute_affine', ctx, false),
        ensure_same_shape: bool(a, 'ensure_same_shape', ctx, true),
        min_pixdim: optPixdims(a, 'min_pixdim', ctx),
        max_pixdim: optPixdims(a, 'max_pixdim', ctx),
        allowMissingKeys: amk(a),
      };
      const keys = keysOf(a, ctx, 'keys');
      at(ctx, 'mode', () => new Spacingd(keys, [1], { mode }));
      at(ctx, 'padding_mode', () => new Spacingd(keys, [1], { padding_mode: padding }));
      at(ctx, 'pixdim', () => new Spacingd(keys, pd));
      at(ctx, 'min_pixdim', () => new Spacingd(keys, pd, { min_pixdim: opts.min_pixdim, max_pixdim: opts.max_pixdim }));
      for (const k of ['align_corners', 'scale_extent'] as const) at(ctx, k, () => new Spacingd(keys, pd, { [k]: opts[k] }));
      return new Spacingd(keys, pd, { ...opts, mode, padding_mode: padding });
    },
    'resamples to pixdim',
  );
  reg(
    ['ScaleByResolution'],
    [...CLARA3_COMMON, 'target_resolution', 'is_label'],
    (a, ctx) =>
      new Spacingd(keysOf(a, ctx, 'fields'), nums(a, 'target_resolution', ctx, 3), {
        mode: bool(a, 'is_label', ctx, false) ? 'nearest' : 'bilinear',
        padding_mode: 'border',
        name: 'ScaleByResolution',
      }),
    'Clara 3.x: resamples to target_resolution',
  );
  reg(
    ['ScaleIntensityRanged'],
    [...MONAI_COMMON, 'a_min', 'a_max', 'b_min', 'b_max', 'clip', 'dtype'],
    (a, ctx) =>
      new ScaleIntensityRanged(
        keysOf(a, ctx, 'keys'),
        {
          a_min: num(a, 'a_min', ctx),
          a_max: num(a, 'a_max', ctx),
          b_min: a.b_min as number | null,
          b_max: a.b_max as number | null,
          clip: bool(a, 'clip', ctx, false),
        },
        { allowMissingKeys: amk(a) },
      ),
    'linear intensity window',
  );
  reg(
    ['ScaleIntensityRange'],
    [...CLARA3_COMMON, 'a_min', 'a_max', 'b_min', 'b_max', 'clip'],
    (a, ctx) =>
      new ScaleIntensityRanged(
        keysOf(a, ctx, 'fields'),
        {
          a_min: num(a, 'a_min', ctx),
          a_max: num(a, 'a_max', ctx),
          b_min: a.b_min as number | null,
          b_max: a.b_max as number | null,
          clip: bool(a, 'clip', ctx, false),
        },
        { name: 'ScaleIntensityRange' },
      ),
    'Clara 3.x: linear intensity window',
  );
  reg(
    ['NormalizeIntensityd'],
    [...MONAI_COMMON, 'subtrahend', 'divisor', 'nonzero', 'channel_wise', 'dtype'],
    (a, ctx) =>
      new NormalizeIntensityd(
        keysOf(a, ctx, 'keys'),
        {
          subtrahend: a.subtrahend as number | null,
          divisor: a.divisor as number | null,
          nonzero: bool(a, 'nonzero', ctx, false),
          channel_wise: bool(a, 'channel_wise', ctx, false),
        },
        amk(a),
      ),
    'zero mean, unit std',
  );
  reg(
    ['NormalizeNonzeroIntensities'],
    CLARA3_COMMON,
    (a, ctx) => new NormalizeIntensityd(keysOf(a, ctx, 'fields'), { nonzero: true }),
    'Clara 3.x: zero mean, unit std over non-zero voxels',
  );
  reg(
    ['RandSpatialCropd'],
    [...MONAI_COMMON, 'roi_size', 'max_roi_size', 'random_center', 'random_size', 'lazy'],
    (a, ctx) => {
      if (a.random_size === true) throw new ClaraError('random_size=true is not supported; crops have roi_size', place(ctx, 'random_size'));
      if (a.random_center === false) throw new ClaraError('random_center=false is not supported', place(ctx, 'random_center'));
      return new CropFixedSizeRandomCenter(keysOf(a, ctx, 'keys'), nums(a, 'roi_size', ctx, 3), 'RandSpatialCropd');
    },
    'random crop of roi_size',
  );
  reg(
    ['RandomAxisFlip'],
    [...CLARA3_COMMON, 'probability'],
    (a, ctx) => new RandomAxisFlip(keysOf(a, ctx, 'fields'), num(a, 'probability', ctx, 0.5)),
    'Clara 3.x: flips one random axis',
  );
  reg(
    ['CropForegroundd'],
    [...MONAI_COMMON, 'source_key', 'select_fn', 'channel_indices', 'margin', 'k_divisible', 'mode', 'allow_smaller', 'start_coord_key', 'end_coord_key'],
    (a, ctx) => {
      if (a.select_fn !== undefined)
        throw new ClaraError('select_fn (a Python callable) is not supported: the foreground is source > 0', place(ctx, 'select_fn'));
      return new CropForegroundd(keysOf(a, ctx, 'keys'), String(a.source_key ?? ''), {
        margin: a.margin as number,
        k_divisible: a.k_divisible as number,
        channel_indices: a.channel_indices as number[] | undefined,
        allowMissingKeys: amk(a),
      });
    },
    'crops to the bounding box of source_key > 0',
  );
  reg(
    ['SpatialPadd'],
    [...MONAI_COMMON, 'spatial_size', 'method', 'mode', 'value'],
    (a, ctx) => {
      if (a.mode !== undefined && a.mode !== 'constant') throw new ClaraError(`mode '${a.mode}' is not supported; only 'constant'`, place(ctx, 'mode'));
      return new SpatialPadd(
        keysOf(a, ctx, 'keys'),
        nums(a, 'spatial_size', ctx, 3),
        (a.method as 'symmetric' | 'end') ?? 'symmetric',
        num(a, 'value', ctx, 0),
        amk(a),
      );
    },
    'pads to at least spatial_size',
  );
  reg(
    ['RandCropByPosNegLabeld'],
    [
      ...MONAI_COMMON,
      'label_key',
      'spatial_size',
      'pos',
      'neg',
      'num_samples',
      'image_key',
      'image_threshold',
      'fg_indices_key',
      'bg_indices_key',
      'allow_smaller',
      'lazy',
    ],
    (a, ctx) =>
      new RandCropByPosNegLabeld(keysOf(a, ctx, 'keys'), String(a.label_key ?? 'label'), nums(a, 'spatial_size', ctx, 3), {
        pos: num(a, 'pos', ctx, 1),
        neg: num(a, 'neg', ctx, 1),
        num_samples: num(a, 'num_samples', ctx, 1),
        image_key: a.image_key as string | undefined,
        image_threshold: num(a, 'image_threshold', ctx, 0),
        allow_smaller: bool(a, 'allow_smaller', ctx, false),
        allowMissingKeys: amk(a),
      }),
    'num_samples crops centred on foreground/background by pos:neg',
  );
  reg(
    ['CropFixedSizeRandomCenter'],
    [...CLARA3_COMMON, 'size'],
    (a, ctx) => new CropFixedSizeRandomCenter(keysOf(a, ctx, 'fields'), nums(a, 'size', ctx, 3)),
    'Clara 3.x: random crop of a fixed size',
  );
  reg(
    ['RandFlipd'],
    [...MONAI_COMMON, 'prob', 'spatial_axis', 'lazy'],
    (a, ctx) =>
      new RandFlipd(keysOf(a, ctx, 'keys'), num(a, 'prob', ctx, 0.1), (a.spatial_axis as number | number[] | null) ?? null, { allowMissingKeys: amk(a) }),
    'random flip',
  );
  reg(
    ['RandomSpatialFlip'],
    [...CLARA3_COMMON, 'probability'],
    (a, ctx) => new RandomSpatialFlip(keysOf(a, ctx, 'fields'), num(a, 'probability', ctx, 0.5)),
    'Clara 3.x: random flip of each axis',
  );
  reg(
    ['RandRotate90d'],
    [...MONAI_COMMON, 'prob', 'max_k', 'spatial_axes', 'lazy'],
    (a, ctx) =>
      at(
        ctx,
        'spatial_axes',
        () =>
          new RandRotate90d(keysOf(a, ctx, 'keys'), num(a, 'prob', ctx, 0.1), num(a, 'max_k', ctx, 3), (a.spatial_axes as [number, number]) ?? [0, 1], amk(a)),
      ),
    'random 90° rotations',
  );
  reg(
    ['RandAffined'],
    [
      ...MONAI_COMMON,
      'prob',
      'rotate_range',
      'shear_range',
      'translate_range',
      'scale_range',
      'spatial_size',
      'mode',
      'padding_mode',
      'cache_grid',
      'device',
      'as_tensor_output',
      'lazy',
    ],
    (a, ctx) => {
      refuseTrue(a, 'lazy', ctx, 'transforms run eagerly');
      bool(a, 'cache_grid', ctx, false); // accepted: the identity grid is never materialised here
      const keys = keysOf(a, ctx, 'keys');
      for (const r of ['rotate_range', 'shear_range', 'translate_range', 'scale_range']) at(ctx, r, () => new RandAffined(keys, { [r]: a[r] as RandRange }));
      at(ctx, 'mode', () => new RandAffined(keys, { mode: a.mode as string | string[] }));
      at(ctx, 'padding_mode', () => new RandAffined(keys, { padding_mode: a.padding_mode as string | string[] }));
      return new RandAffined(keys, {
        prob: num(a, 'prob', ctx, 0.1),
        rotate_range: a.rotate_range as RandRange,
        shear_range: a.shear_range as RandRange,
        translate_range: a.translate_range as RandRange,
        scale_range: a.scale_range as RandRange,
        spatial_size: spatialSize(a, 'spatial_size', ctx),
        mode: a.mode as string | string[],
        padding_mode: a.padding_mode as string | string[],
        allowMissingKeys: amk(a),
      });
    },
    'random rotation/shear/translation/scale (MONAI RandAffineGrid order)',
  );
  reg(
    ['Affined'],
    [
      ...MONAI_COMMON,
      'rotate_params',
      'shear_params',
      'translate_params',
      'scale_params',
      'affine',
      'spatial_size',
      'mode',
      'padding_mode',
      'device',
      'dtype',
      'align_corners',
      'normalized',
      'lazy',
      'rotate_order',
    ],
    (a, ctx) => {
      refuseTrue(a, 'lazy', ctx, 'transforms run eagerly');
      refuseTrue(a, 'align_corners', ctx, 'only the MONAI default (false) is implemented');
      refuseTrue(a, 'normalized', ctx, 'the affine is in voxels around the image centre (MONAI default false)');
      if (a.rotate_order !== undefined && a.rotate_order !== 'XYZ')
        throw new ClaraError(`rotate_order '${a.rotate_order}' is not supported; only 'XYZ' (MONAI default)`, place(ctx, 'rotate_order'));
      const p = (k: string) => {
        const v = a[k];
        if (v === undefined || v === null || typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number')))
          return v as number | number[] | null | undefined;
        throw new ClaraError(`'${k}' must be a number or a list of numbers, got ${JSON.stringify(v)}`, place(ctx, k));
      };
      const keys = keysOf(a, ctx, 'keys');
      at(ctx, 'mode', () => new Affined(keys, { mode: a.mode as string | string[] }));
      at(ctx, 'padding_mode', () => new Affined(keys, { padding_mode: a.padding_mode as string | string[] }));
      return at(
        ctx,
        'affine',
        () =>
          new Affined(keys, {
            rotate_params: p('rotate_params'),
            shear_params: p('shear_params'),
            translate_params: p('translate_params'),
            scale_params: p('scale_params'),
            affine: (a.affine ?? null) as number[][] | null,
            spatial_size: spatialSize(a, 'spatial_size', ctx),
            mode: a.mode as string | string[],
            padding_mode: a.padding_mode as string | string[],
            allowMissingKeys: amk(a),
          }),
      );
    },
    'a fixed affine (rotate/shear/translate/scale or a 4x4 matrix)',
  );
  reg(
    ['Rotate90d'],
    [...MONAI_COMMON, 'k', 'spatial_axes', 'lazy'],
    (a, ctx) =>
      at(ctx, 'spatial_axes', () => new Rotate90d(keysOf(a, ctx, 'keys'), num(a, 'k', ctx, 1), (a.spatial_axes as [number, number]) ?? [0, 1], amk(a))),
    'rotates by k·90°',
  );
  reg(
    ['Flipd'],
    [...MONAI_COMMON, 'spatial_axis', 'lazy'],
    (a, ctx) => at(ctx, 'spatial_axis', () => new Flipd(keysOf(a, ctx, 'keys'), (a.spatial_axis as number | number[] | null) ?? null, amk(a))),
    'flips spatial_axis',
  );
  reg(
    ['RandShiftIntensityd'],
    [...MONAI_COMMON, 'offsets', 'prob', 'factor_key', 'channel_wise', 'safe'],
    (a, ctx) => new RandShiftIntensityd(keysOf(a, ctx, 'keys'), a.offsets as number, num(a, 'prob', ctx, 0.1), amk(a)),
    'random intensity offset',
  );
  reg(
    ['RandScaleIntensityd'],
    [...MONAI_COMMON, 'factors', 'prob', 'channel_wise', 'dtype'],
    (a, ctx) => new RandScaleIntensityd(keysOf(a, ctx, 'keys'), a.factors as number, num(a, 'prob', ctx, 0.1), amk(a)),
    'random intensity scale',
  );
  reg(
    ['ScaleShiftIntensity'],
    [...CLARA3_COMMON, 'scale', 'shift', 'probability'],
    (a, ctx) => new ScaleShiftIntensity(keysOf(a, ctx, 'fields'), num(a, 'scale', ctx, 0.1), num(a, 'shift', ctx, 0.1), num(a, 'probability', ctx, 0.5)),
    'Clara 3.x: random scale and shift',
  );
  reg(
    ['ScaleIntensityOscillation'],
    [...CLARA3_COMMON, 'magnitude', 'probability'],
    (a, ctx) => new ScaleIntensityOscillation(keysOf(a, ctx, 'fields'), num(a, 'magnitude', ctx, 0.1), num(a, 'probability', ctx, 0.5)),
    'Clara 3.x: random intensity scaling',
  );
  reg(
    ['RandGaussianNoised'],
    [...MONAI_COMMON, 'prob', 'mean', 'std', 'dtype', 'sample_std'],
    (a, ctx) =>
      new RandGaussianNoised(
        keysOf(a, ctx, 'keys'),
        num(a, 'prob', ctx, 0.1),
        num(a, 'mean', ctx, 0),
        num(a, 'std', ctx, 0.1),
        bool(a, 'sample_std', ctx, true),
      ),
    'random Gaussian noise',
  );
  reg(
    ['AddGaussianNoise'],
    [...CLARA3_COMMON, 'probability', 'variance'],
    (a, ctx) =>
      new RandGaussianNoised(keysOf(a, ctx, 'fields'), num(a, 'probability', ctx, 0.5), 0, Math.sqrt(num(a, 'variance', ctx, 0.1)), false, 'AddGaussianNoise'),
    'Clara 3.x: random Gaussian noise',
  );
  reg(
    ['Activationsd'],
    [...MONAI_COMMON, 'sigmoid', 'softmax', 'other'],
    (a, ctx) => {
      if (a.other !== undefined) throw new ClaraError("'other' (a Python callable) is not supported", place(ctx, 'other'));
      return new Activationsd(keysOf(a, ctx, 'keys'), (a.sigmoid as boolean) ?? false, (a.softmax as boolean) ?? false);
    },
    'sigmoid / softmax',
  );
  reg(
    ['AsDiscreted'],
    [...MONAI_COMMON, 'argmax', 'to_onehot', 'n_classes', 'num_classes', 'threshold', 'threshold_values', 'logit_thresh', 'rounding'],
    (a, ctx) =>
      new AsDiscreted(keysOf(a, ctx, 'keys'), {
        argmax: a.argmax as boolean,
        to_onehot: a.to_onehot as number,
        n_classes: (a.n_classes ?? a.num_classes) as number,
        threshold: a.threshold as number,
        threshold_values: a.threshold_values as boolean,
        logit_thresh: a.logit_thresh as number,
      }),
    'argmax / one-hot / threshold',
  );
}

registerTransforms();
