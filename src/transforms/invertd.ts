// Invertd (MONAI): puts a prediction back on the grid of the image it was computed from, by
// undoing, last first, the spatial operations the pre-transforms recorded for the original key
// (geometry-trace.ts): a resampling transform (Spacingd, Affined) is undone by resampling from
// its output grid onto its input grid with its own padding and its interpolation (or nearest
// with nearest_interp), an exact one (Orientationd, flips, rot90, crops, pads) by moving the
// voxels back, zeros where the crop had cut. The result carries the original affine.
import { ClaraError } from '../util/errors.js';
import { getTensor, keyList, perKey, Transform } from './base.js';
import { voxelXform } from './geometry.js';
import * as K from './kernels.js';
import { appliedOperations, APPLIED_OPERATIONS, type GeometryOp } from './geometry-trace.js';
import type { Shape3 } from '../native/transforms.js';
import type { MetaDict, Sample, Tensor } from './types.js';

interface InvertdOptions {
  /** The key whose recorded operations are undone (per key; default the key itself). */
  origKeys?: string | string[];
  /** Where the inverted key's meta goes (per key; default `<key>_meta_dict`). */
  metaKeys?: string | string[] | null;
  /** The original key's meta (per key; default `<orig_key>_meta_dict`). */
  origMetaKeys?: string | string[] | null;
  metaKeyPostfix?: string;
  /** Nearest-neighbour for the resampling inverses (per key; MONAI's default true). */
  nearestInterp?: boolean | boolean[];
  allowMissingKeys?: boolean;
}

/** Undoes `ops` (in reverse) on a channel-first tensor that sits on the last op's output grid. */
export async function invertGeometry(t: Tensor, ops: GeometryOp[], nearest: boolean, what = 'Invertd'): Promise<Tensor> {
  if (t.shape.length !== 4) throw new ClaraError(`${what}: expected a channel-first [C, i, j, k] tensor, got shape [${t.shape}]`);
  let data = t.data;
  const c = t.shape[0];
  let shape = t.shape.slice(1);
  if (ops.length) {
    const last = ops[ops.length - 1].to.shape;
    if (!last.every((d, i) => d === shape[i])) {
      throw new ClaraError(
        `${what}: the tensor has spatial shape [${shape}] but the pre-transforms left the original key on [${last}]; it must come from that grid`,
      );
    }
  }
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i];
    const xform = voxelXform(op.to.affine, op.from.affine);
    const mode = op.mode === 'exact' || op.mode === 'nearest' || nearest ? 'nearest' : 'linear';
    data = await K.resample(data, c, shape as Shape3, op.from.shape as Shape3, xform, mode, op.mode === 'exact' ? 'zeros' : op.padding);
    shape = op.from.shape;
  }
  return { data, shape: [c, ...shape] };
}

export class Invertd extends Transform {
  readonly name = 'Invertd';
  readonly keys: string[];
  private readonly origKeys: string[];
  private readonly metaKeys: string[];
  private readonly origMetaKeys: string[];
  private readonly nearest: boolean[];
  constructor(
    keys: string | string[],
    readonly opts: InvertdOptions = {},
  ) {
    super();
    this.keys = keyList(keys, this.name);
    const postfix = opts.metaKeyPostfix ?? 'meta_dict';
    const list = (v: string | string[] | null | undefined, dflt: (k: string, i: number) => string, arg: string) =>
      v === undefined || v === null ? this.keys.map(dflt) : perKey(v, this.keys, '', this.name, arg);
    this.origKeys = list(opts.origKeys, (k) => k, 'orig_keys');
    this.metaKeys = list(opts.metaKeys, (k) => `${k}_${postfix}`, 'meta_keys');
    this.origMetaKeys = list(opts.origMetaKeys, (_k, i) => `${this.origKeys[i]}_${postfix}`, 'orig_meta_keys');
    this.nearest = perKey(opts.nearestInterp, this.keys, true, this.name, 'nearest_interp');
  }
  async apply(sample: Sample): Promise<Sample> {
    const s: Sample = { ...sample };
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i];
      if (!(key in s) && this.opts.allowMissingKeys) continue;
      const orig = this.origKeys[i];
      const origMeta = s[this.origMetaKeys[i]] as MetaDict | undefined;
      if (!origMeta) {
        throw new ClaraError(
          `Invertd: no '${this.origMetaKeys[i]}' in the sample: orig_keys '${orig}' must name a key the pre-transforms loaded (the sample has ${Object.keys(s).join(', ')})`,
        );
      }
      const ops = appliedOperations(s, orig);
      const t = await invertGeometry(getTensor(s, key, this.name), ops, this.nearest[i]);
      s[key] = t;
      const affine = ops.length ? ops[0].from.affine : origMeta.affine;
      s[this.metaKeys[i]] = { ...origMeta, affine: affine.map((r) => [...r]), spatial_shape: t.shape.slice(1), [APPLIED_OPERATIONS]: [] };
    }
    return s;
  }
}
