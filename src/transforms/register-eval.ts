// Registers the post-transforms of evaluation configs: Invertd (needs the pre-transforms' record),
// SaveImaged, and Clara 3.x's ArgmaxAcrossChannels, SplitBasedOnLabel, CopyProperties.
import { registry, type BuildContext } from '../components/registry.js';
import { place, wrap } from './register.js';
import { argError, readBool, readString } from '../components/args.js';
import { ClaraError } from '../util/errors.js';
import { Invertd } from './invertd.js';
import { dtypeName, SaveImaged } from './save-imaged.js';
import { ArgmaxAcrossChannels, CopyProperties, SplitBasedOnLabel } from './clara3-post-transforms.js';

type Args = Record<string, unknown>;

const absent = (v: unknown) => v === undefined || v === null;
function str(a: Args, k: string, ctx: BuildContext): string | undefined {
  return absent(a[k]) ? undefined : readString(a[k], k, place(ctx, k));
}
function flag(a: Args, k: string, ctx: BuildContext): boolean | undefined {
  return absent(a[k]) ? undefined : readBool(a[k], k, place(ctx, k));
}
function strs(a: Args, k: string, ctx: BuildContext): string | string[] | undefined {
  const v = a[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) return v as string | string[];
  throw argError(k, 'a key or a list of keys', v, place(ctx, k));
}

function registerEvalTransforms(): void {
  registry.register({
    names: ['Invertd'],
    kind: 'transform',
    args: [
      'keys',
      'transform',
      'orig_keys',
      'meta_keys',
      'orig_meta_keys',
      'meta_key_postfix',
      'nearest_interp',
      'to_tensor',
      'device',
      'post_func',
      'allow_missing_keys',
    ],
    description: 'undo the spatial pre-transforms (recorded per case) on a prediction: back to the original grid and affine',
    factory: (a, ctx) =>
      wrap(ctx, () => {
        if (a.transform === undefined)
          throw new ClaraError('missing required argument \'transform\' (the pre-transforms to undo, e.g. "@pre_transforms")', place(ctx));
        if (a.post_func !== undefined && a.post_func !== null)
          throw new ClaraError("'post_func' (a Python callable) is not supported", place(ctx, 'post_func'));
        const ni = a.nearest_interp;
        if (ni !== undefined && typeof ni !== 'boolean' && !(Array.isArray(ni) && ni.every((x) => typeof x === 'boolean'))) {
          throw argError('nearest_interp', 'true, false or one per key', ni, place(ctx, 'nearest_interp'));
        }
        return new Invertd(strs(a, 'keys', ctx) ?? [], {
          origKeys: strs(a, 'orig_keys', ctx),
          metaKeys: strs(a, 'meta_keys', ctx),
          origMetaKeys: strs(a, 'orig_meta_keys', ctx),
          metaKeyPostfix: str(a, 'meta_key_postfix', ctx),
          nearestInterp: ni as boolean | boolean[] | undefined,
          allowMissingKeys: a.allow_missing_keys === true,
        });
      }),
  });
  registry.register({
    names: ['SaveImaged'],
    kind: 'transform',
    args: [
      'keys',
      'meta_keys',
      'meta_key_postfix',
      'output_dir',
      'output_postfix',
      'output_ext',
      'resample',
      'mode',
      'padding_mode',
      'scale',
      'dtype',
      'output_dtype',
      'allow_missing_keys',
      'squeeze_end_dims',
      'data_root_dir',
      'separate_folder',
      'print_log',
      'output_format',
      'writer',
      'channel_dim',
      'savepath_in_metadict',
    ],
    description: "write a key as NIfTI with MONAI's file naming (output_dir/<subject>/<subject>_<postfix>.nii.gz)",
    factory: (a, ctx) =>
      wrap(ctx, () => {
        if (a.scale !== undefined && a.scale !== null) throw new ClaraError("'scale' is not supported (write the values as they are)", place(ctx, 'scale'));
        for (const k of ['writer', 'output_format'])
          if (a[k] !== undefined && a[k] !== '' && a[k] !== null && !/nifti|nibabel|nii/i.test(String(a[k])))
            throw new ClaraError(`'${k}' ${JSON.stringify(a[k])}: only NIfTI is written`, place(ctx, k));
        const mode = absent(a.mode) ? undefined : readString(a.mode, 'mode', place(ctx, 'mode'), ['nearest', 'bilinear'] as const);
        const pm = absent(a.padding_mode)
          ? undefined
          : readString(a.padding_mode, 'padding_mode', place(ctx, 'padding_mode'), ['border', 'zeros', 'reflection'] as const);
        let outputDtype;
        try {
          outputDtype = a.output_dtype === undefined || a.output_dtype === null ? undefined : dtypeName(a.output_dtype, 'SaveImaged');
        } catch (e) {
          throw new ClaraError((e as Error).message, place(ctx, 'output_dtype'));
        }
        return new SaveImaged(strs(a, 'keys', ctx) ?? [], {
          metaKeys: strs(a, 'meta_keys', ctx),
          metaKeyPostfix: str(a, 'meta_key_postfix', ctx),
          outputDir: str(a, 'output_dir', ctx),
          outputPostfix: str(a, 'output_postfix', ctx),
          outputExt: str(a, 'output_ext', ctx),
          resample: flag(a, 'resample', ctx),
          mode,
          paddingMode: pm,
          outputDtype,
          squeezeEndDims: flag(a, 'squeeze_end_dims', ctx),
          dataRootDir: str(a, 'data_root_dir', ctx),
          separateFolder: flag(a, 'separate_folder', ctx),
          printLog: flag(a, 'print_log', ctx),
          allowMissingKeys: a.allow_missing_keys === true,
        });
      }),
  });
  registry.register({
    names: ['ArgmaxAcrossChannels'],
    kind: 'transform',
    args: ['fields'],
    description: 'Clara 3.x: class index per voxel',
    factory: (a, ctx) => wrap(ctx, () => new ArgmaxAcrossChannels(strs(a, 'fields', ctx) ?? [])),
  });
  registry.register({
    names: ['SplitBasedOnLabel'],
    kind: 'transform',
    args: ['field', 'label_names'],
    description: 'Clara 3.x: one binary map per label value',
    factory: (a, ctx) => wrap(ctx, () => new SplitBasedOnLabel(str(a, 'field', ctx) ?? '', a.label_names as string[])),
  });
  registry.register({
    names: ['CopyProperties'],
    kind: 'transform',
    args: ['fields', 'from_field', 'properties'],
    description: 'Clara 3.x: copy meta entries (affine) between fields',
    factory: (a, ctx) =>
      wrap(ctx, () => {
        const props = a.properties;
        if (!Array.isArray(props) || !props.every((p) => typeof p === 'string'))
          throw new ClaraError(`'properties' must be a list of names, got ${JSON.stringify(props)}`, place(ctx, 'properties'));
        return new CopyProperties(strs(a, 'fields', ctx) ?? [], str(a, 'from_field', ctx) ?? '', props as string[]);
      }),
  });
}

registerEvalTransforms();
