// Records what the spatial pre-transforms did to each image key, so that Invertd can undo it
// (MONAI keeps the same record as a MetaTensor's `applied_operations`). Each transform of a
// list is wrapped; after it runs, every key whose grid (spatial shape or affine) changed gets
// one entry in `<key>_meta_dict.applied_operations`: the grid before and after, and how the
// inverse must resample (the transform's interpolation and padding for resampling transforms,
// exact index moves for orientation, flips, rotations by 90°, crops and pads).
import { recipeOf } from '../components/recipe.js';
import { isRandomizable, Transform, type TransformResult } from './base.js';
import type { Rng } from '../util/random.js';
import { isTensor, type MetaDict, type Sample } from './types.js';
import type { Affine } from '../io/volume.js';

export interface GeometryOp {
  /** The transform's name (Spacingd, Orientationd, CropForegroundd ...). */
  transform: string;
  /** Grid before the transform: spatial shape and voxel → world affine. */
  from: { shape: number[]; affine: Affine };
  /** Grid after it. */
  to: { shape: number[]; affine: Affine };
  /** How the inverse resamples: 'exact' (an index permutation/shift) or an interpolation. */
  mode: 'exact' | 'bilinear' | 'nearest';
  padding: 'zeros' | 'border' | 'reflection';
}

/** Transforms that resample (their inverse interpolates with the transform's own mode and padding). */
const RESAMPLING: Record<string, { mode: 'bilinear' | 'nearest'; padding: GeometryOp['padding'] }> = {
  Spacingd: { mode: 'bilinear', padding: 'border' },
  Spacing: { mode: 'bilinear', padding: 'border' },
  ScaleByResolution: { mode: 'bilinear', padding: 'border' },
  Affined: { mode: 'bilinear', padding: 'reflection' },
  RandAffined: { mode: 'bilinear', padding: 'reflection' },
};

export const APPLIED_OPERATIONS = 'applied_operations';

function grid(s: Sample, key: string): { shape: number[]; affine: Affine } | undefined {
  const t = s[key];
  const m = s[`${key}_meta_dict`] as MetaDict | undefined;
  if (!isTensor(t) || !m || !Array.isArray(m.affine)) return undefined;
  return { shape: t.shape.slice(-3), affine: m.affine.map((r) => [...r]) };
}

function sameGridOf(a: { shape: number[]; affine: Affine }, b: { shape: number[]; affine: Affine }): boolean {
  return (
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i]) &&
    a.affine.every((r, i) => r.every((x, j) => Math.abs(x - b.affine[i][j]) <= 1e-9 * Math.max(1, Math.abs(x))))
  );
}

/** The i-th entry of a per-key argument (a value or a list with one per key). */
function perKeyArg(v: unknown, keys: unknown, key: string): unknown {
  if (!Array.isArray(v)) return v;
  const ks = typeof keys === 'string' ? [keys] : Array.isArray(keys) ? keys : [];
  const i = ks.indexOf(key);
  return v[i >= 0 ? i : 0];
}

function opFor(t: Transform, key: string, from: GeometryOp['from'], to: GeometryOp['to']): GeometryOp {
  const r = RESAMPLING[t.name];
  if (!r) return { transform: t.name, from, to, mode: 'exact', padding: 'zeros' };
  const args = (recipeOf(t)?.args ?? {}) as Record<string, unknown>;
  const keys = args.keys ?? args.fields;
  let mode: 'bilinear' | 'nearest' = r.mode;
  const m = perKeyArg(args.mode, keys, key);
  if (m === 'nearest' || (t.name === 'ScaleByResolution' && args.is_label === true)) mode = 'nearest';
  const p = perKeyArg(args.padding_mode, keys, key);
  const padding = p === 'zeros' || p === 'border' || p === 'reflection' ? p : r.padding;
  return { transform: t.name, from, to, mode, padding };
}

/** A transform that records the grid changes of the one it wraps. */
class GeometryTraced extends Transform {
  readonly name: string;
  override readonly random: boolean;
  constructor(readonly inner: Transform) {
    super();
    this.name = inner.name;
    this.random = inner.random;
  }
  setRandomState(seed: number): void {
    if (isRandomizable(this.inner)) this.inner.setRandomState(seed);
  }
  async apply(sample: Sample, rng?: Rng): Promise<TransformResult> {
    const before = new Map<string, { shape: number[]; affine: Affine }>();
    for (const k of Object.keys(sample)) {
      const g = grid(sample, k);
      if (g) before.set(k, g);
    }
    const out = await this.inner.apply(sample, rng);
    for (const s of Array.isArray(out) ? out : [out]) {
      for (const [k, from] of before) {
        const to = grid(s, k);
        if (!to || sameGridOf(from, to)) continue;
        const mk = `${k}_meta_dict`;
        const meta = s[mk] as MetaDict;
        const prev = Array.isArray(meta[APPLIED_OPERATIONS]) ? (meta[APPLIED_OPERATIONS] as GeometryOp[]) : [];
        // a new meta object and list: the input sample (maybe cached) keeps its own record
        s[mk] = { ...meta, [APPLIED_OPERATIONS]: [...prev, opFor(this.inner, k, from, to)] };
      }
    }
    return out;
  }
}

/** Wraps every transform of a list so that its grid changes are recorded. */
export function traceGeometry(transforms: Transform[]): Transform[] {
  return transforms.map((t) => (t instanceof GeometryTraced ? t : new GeometryTraced(t)));
}

/** The recorded operations of a key (empty when none). */
export function appliedOperations(s: Sample, key: string): GeometryOp[] {
  const m = s[`${key}_meta_dict`] as MetaDict | undefined;
  const ops = m?.[APPLIED_OPERATIONS];
  return Array.isArray(ops) ? (ops as GeometryOp[]) : [];
}
