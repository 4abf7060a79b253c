// Spatial dict transforms: Orientationd, Spacingd (ScaleByResolution), CropForegroundd,
// SpatialPadd, RandCropByPosNegLabeld, CropFixedSizeRandomCenter, RandFlipd
// (RandomSpatialFlip), RandRotate90d, RandAffined. Geometry follows MONAI: the meta
// affine is updated so that voxel → world stays true.
import { ClaraError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { Shape3 } from '../native/transforms.js';
import { copySample, getMeta, getTensor, MapTransform, RandomMapTransform, RandomTransform, spatialOf, Transform } from './base.js';
import {
  affineFromParams,
  affineSpacing,
  axcodesToOrnt,
  centredToIndex,
  computeShapeOffset,
  eye,
  ioOrientation,
  matmul,
  scaleAffine,
  translate,
  voxelXform,
  zoomAffine,
  type Mat,
} from './geometry.js';
import * as K from './kernels.js';
import type { InterpMode, PaddingMode } from './ops/resample.js';
import type { Sample, Tensor } from './types.js';

function setAffine(s: Sample, key: string, a: Mat): void {
  const m = getMeta(s, key);
  if (m) m.affine = a.map((r) => [...r]);
}
function affineOf(s: Sample, key: string): Mat {
  return getMeta(s, key)?.affine ?? eye();
}
/** Crops (or pads with `fill`) every channel to the box [start, start + size). */
async function cropTensor(t: Tensor, start: Shape3, size: Shape3, name: string, key: string, fill = 0): Promise<Tensor> {
  const { c, sp } = spatialOf(t, name, key);
  return { data: await K.cropPad(t.data, c, sp, size, start, fill), shape: [c, ...size] };
}
function shiftAffine(s: Sample, key: string, start: number[]): void {
  if (getMeta(s, key)) setAffine(s, key, matmul(affineOf(s, key), translate(start)));
}

/** MONAI's mode names → kernel modes. */
export function interpMode(v: string, name: string): InterpMode {
  if (v === 'bilinear' || v === 'linear' || v === 'trilinear') return 'linear';
  if (v === 'nearest') return 'nearest';
  throw new ClaraError(`${name}: mode '${v}' is not supported; use 'bilinear' or 'nearest'`);
}
export function paddingMode(v: string, name: string): PaddingMode {
  if (v === 'border' || v === 'zeros' || v === 'reflection') return v;
  throw new ClaraError(`${name}: padding_mode '${v}' is not supported; use 'border', 'zeros' or 'reflection'`);
}

export class Orientationd extends MapTransform {
  readonly name = 'Orientationd';
  constructor(
    keys: string[],
    readonly axcodes = 'RAS',
    allowMissingKeys = false,
  ) {
    super(keys, allowMissingKeys);
    axcodesToOrnt(axcodes);
  }
  protected async applyKey(s: Sample, key: string): Promise<void> {
    const t = getTensor(s, key, this.name);
    const { c, sp } = spatialOf(t, this.name, key);
    const affine = affineOf(s, key);
    const src = ioOrientation(affine),
      dst = axcodesToOrnt(this.axcodes);
    // M: new voxel index → old voxel index (a permutation with flips)
    const m = [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
    ];
    const outShape = [0, 0, 0] as Shape3;
    dst.forEach(([w, sign], o) => {
      const v = src.findIndex(([sw]) => sw === w);
      const flip = src[v][1] !== sign;
      m[v][o] = flip ? -1 : 1;
      m[v][3] = flip ? sp[v] - 1 : 0;
      outShape[o] = sp[v];
    });
    if (m.every((r, i) => r.every((x, j) => x === (i === j ? 1 : 0)))) return;
    const data = await K.resample(t.data, c, sp, outShape, [...m[0], ...m[1], ...m[2]], 'nearest', 'zeros');
    s[key] = { data, shape: [c, ...outShape] };
    setAffine(s, key, matmul(affine, m));
  }
}

export interface SpacingOptions {
  mode?: string | string[];
  padding_mode?: string | string[];
  allowMissingKeys?: boolean;
  name?: string;
  /** MONAI diagonal: resample onto diag(pixdim) (drops the rotation). */
  diagonal?: boolean;
  /** Per key (or one for all): only changes size-1 axes and recompute_affine (see MONAI SpatialResample). */
  align_corners?: boolean | boolean[];
  scale_extent?: boolean | boolean[];
  recompute_affine?: boolean;
  /** NaN entries = unset (MONAI None); a shorter list leaves the other axes unset. */
  min_pixdim?: number[];
  max_pixdim?: number[];
  ensure_same_shape?: boolean;
}

const AFFINE_TOL = 1e-3;
function allClose(a: number[], b: number[], atol: number): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= atol + 1e-5 * Math.abs(b[i]));
}

/** MONAI Spacing(d): resamples to pixdim (a shorter list repeats its last value), keeping the
 * rotation unless diagonal; the output shape and first-voxel position from compute_shape_offset. */
interface SpacingCall {
  first?: { inShape: number[]; pixdim: number[]; outShape: number[] };
}

export class Spacingd extends MapTransform<SpacingCall> {
  readonly name: string;
  private readonly modes: InterpMode[];
  private readonly paddings: PaddingMode[];
  private readonly alignCorners: boolean[];
  private readonly scaleExtent: boolean[];
  private readonly pd: number[];
  constructor(
    keys: string[],
    readonly pixdim: number[],
    readonly opts: SpacingOptions = {},
  ) {
    super(keys, opts.allowMissingKeys);
    this.name = opts.name ?? 'Spacingd';
    const m = opts.mode ?? 'bilinear',
      p = opts.padding_mode ?? 'border';
    for (const [arg, v] of [
      ['mode', m],
      ['padding_mode', p],
      ['align_corners', opts.align_corners],
      ['scale_extent', opts.scale_extent],
    ] as const)
      if (Array.isArray(v) && v.length !== keys.length)
        throw new ClaraError(`${this.name}: '${arg}' needs one entry per key (${keys.length}), got ${v.length}`);
    this.modes = keys.map((_, i) => interpMode(Array.isArray(m) ? m[i] : m, this.name));
    this.paddings = keys.map((_, i) => paddingMode(Array.isArray(p) ? p[i] : p, this.name));
    const flag = (v: boolean | boolean[] | undefined, i: number) => (Array.isArray(v) ? v[i] : v) === true;
    this.alignCorners = keys.map((_, i) => flag(opts.align_corners, i));
    this.scaleExtent = keys.map((_, i) => flag(opts.scale_extent, i));
    if (!Array.isArray(pixdim) || pixdim.length === 0 || !pixdim.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw new ClaraError(`${this.name}: pixdim must be numbers, got ${JSON.stringify(pixdim)}`);
    this.pd = [0, 1, 2].map((d) => pixdim[Math.min(d, pixdim.length - 1)]);
    const mn = opts.min_pixdim ?? [],
      mx = opts.max_pixdim ?? [];
    for (let d = 0; d < Math.min(mn.length, mx.length); d++)
      if (!Number.isNaN(mn[d]) && !Number.isNaN(mx[d]) && (mx[d] < mn[d] || mn[d] < 0))
        throw new ClaraError(`${this.name}: min_pixdim [${mn}] must be positive and not larger than max_pixdim [${mx}]`);
  }
  /** Per-call state of ensure_same_shape (MONAI Spacingd.__call__): the first key's shapes. */
  protected override draw(): SpacingCall {
    return {};
  }
  /** The target spacing for an input spacing (MONAI's min_pixdim/max_pixdim rule: an axis whose
   * spacing already lies in [min, max] (each defaulting to pixdim, 1e-3 tolerance) is kept). */
  targetSpacing(orig: number[]): number[] {
    return [0, 1, 2].map((d) => {
      const target = this.pd[d];
      const mn0 = this.opts.min_pixdim?.[d] ?? NaN,
        mx0 = this.opts.max_pixdim?.[d] ?? NaN;
      const mn = Number.isNaN(mn0) ? target : Math.min(mn0, target),
        mx = Number.isNaN(mx0) ? target : Math.max(mx0, target);
      if (mn > mx) throw new ClaraError(`${this.name}: min_pixdim is larger than max_pixdim at dim ${d}: min ${mn} max ${mx} out ${target}`);
      return mn - AFFINE_TOL <= orig[d] && orig[d] <= mx + AFFINE_TOL ? orig[d] : target;
    });
  }
  protected async applyKey(s: Sample, key: string, i: number, call: SpacingCall): Promise<void> {
    const t = getTensor(s, key, this.name);
    const { c, sp } = spatialOf(t, this.name, key);
    const affine = affineOf(s, key);
    const inSpacing = affineSpacing(affine);
    const next = zoomAffine(affine, this.targetSpacing(inSpacing), this.opts.diagonal === true);
    const computed = computeShapeOffset(sp, affine, next, this.scaleExtent[i]);
    for (let d = 0; d < 3; d++) next[d][3] = computed.offset[d];
    // ensure_same_shape: a later key with the first key's input shape and spacing gets its output shape
    let shape = computed.shape;
    if (this.opts.ensure_same_shape !== false && getMeta(s, key)) {
      const f = call.first;
      if (!f) call.first = { inShape: [...sp], pixdim: inSpacing, outShape: [] };
      else if (f.outShape.length && f.inShape.every((d, j) => d === sp[j]) && allClose(inSpacing, f.pixdim, 1e-3)) shape = f.outShape;
    }
    const xform = voxelXform(affine, next);
    const I = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];
    const flatA = affine.slice(0, 3).flat(),
      flatN = next.slice(0, 3).flat();
    const sameSize = shape.every((d, j) => d === sp[j]);
    const unchanged = sameSize && (allClose(flatA, flatN, AFFINE_TOL) || allClose(xform, I, AFFINE_TOL));
    if (!unchanged) {
      if (this.alignCorners[i]) {
        // torch/MONAI normalisation with align_corners=True: a size-1 output axis samples at index 0.5, a
        // size-1 input axis always reads index 0 (never out of bounds)
        for (let d = 0; d < 3; d++) if (shape[d] === 1) for (let r = 0; r < 3; r++) xform[r * 4 + 3] += 0.5 * xform[r * 4 + d];
        for (let r = 0; r < 3; r++) if (sp[r] === 1) for (let k = 0; k < 4; k++) xform[r * 4 + k] = 0;
      }
      s[key] = { data: await K.resample(t.data, c, sp, shape as Shape3, xform, this.modes[i], this.paddings[i]), shape: [c, ...shape] };
      setAffine(s, key, next);
    }
    if (this.opts.recompute_affine) setAffine(s, key, scaleAffine(sp, shape, this.alignCorners[i]));
    if (call.first && !call.first.outShape.length) call.first.outShape = [...shape];
  }
}

/** Crops every key to the bounding box of `source_key` > threshold (MONAI select_fn x > 0), with margin and k_divisible. */
export class CropForegroundd extends Transform {
  readonly name = 'CropForegroundd';
  constructor(
    readonly keys: string[],
    readonly sourceKey: string,
    readonly opts: {
      margin?: number | number[];
      k_divisible?: number | number[];
      threshold?: number;
      channel_indices?: number[];
      allowMissingKeys?: boolean;
    } = {},
  ) {
    super();
  }
  /** The crop box [start, end) in the source's voxels (may extend past the image with k_divisible). */
  box(s: Sample): { start: Shape3; end: Shape3 } | null {
    const src = getTensor(s, this.sourceKey, this.name);
    const { c, sp } = spatialOf(src, this.name, this.sourceKey);
    let data = src.data,
      ch = c;
    if (this.opts.channel_indices) {
      const n = sp[0] * sp[1] * sp[2];
      ch = this.opts.channel_indices.length;
      data = new Float32Array(ch * n);
      this.opts.channel_indices.forEach((ci, o) => data.set(src.data.subarray(ci * n, (ci + 1) * n), o * n));
    }
    const bb = K.boundingBox(data, ch, sp, this.opts.threshold ?? 0);
    if (!bb) return null;
    const margin = [0, 1, 2].map((d) => (Array.isArray(this.opts.margin) ? this.opts.margin[d] : (this.opts.margin ?? 0)));
    const kdiv = [0, 1, 2].map((d) => (Array.isArray(this.opts.k_divisible) ? this.opts.k_divisible[d] : (this.opts.k_divisible ?? 1)));
    const start = [0, 1, 2].map((d) => Math.max(bb.start[d] - margin[d], 0)) as Shape3;
    const end = [0, 1, 2].map((d) => Math.min(bb.end[d] + margin[d], sp[d])) as Shape3;
    for (let d = 0; d < 3; d++) {
      const size = end[d] - start[d],
        want = Math.ceil(size / kdiv[d]) * kdiv[d];
      if (want !== size) {
        start[d] -= Math.floor((want - size) / 2);
        end[d] = start[d] + want;
      }
    }
    return { start, end };
  }
  async apply(sample: Sample): Promise<Sample> {
    const s = copySample(sample);
    const box = this.box(s);
    if (!box) return s; // no foreground: keep the whole image
    const size = [0, 1, 2].map((d) => box.end[d] - box.start[d]) as Shape3;
    for (const key of this.keys) {
      if (!(key in s) && this.opts.allowMissingKeys) continue;
      s[key] = await cropTensor(getTensor(s, key, this.name), box.start, size, this.name, key);
      shiftAffine(s, key, box.start);
    }
    return s;
  }
}

export class SpatialPadd extends MapTransform {
  readonly name = 'SpatialPadd';
  constructor(
    keys: string[],
    readonly spatialSize: number[],
    readonly method: 'symmetric' | 'end' = 'symmetric',
    readonly value = 0,
    allowMissingKeys = false,
  ) {
    super(keys, allowMissingKeys);
    if (method !== 'symmetric' && method !== 'end') throw new ClaraError(`SpatialPadd: method must be 'symmetric' or 'end', got '${method}'`);
  }
  protected async applyKey(s: Sample, key: string): Promise<void> {
    const t = getTensor(s, key, this.name);
    const { sp } = spatialOf(t, this.name, key);
    const size = sp.map((d, i) => Math.max(d, this.spatialSize[i] > 0 ? this.spatialSize[i] : d)) as Shape3;
    if (size.every((d, i) => d === sp[i])) return;
    const start = sp.map((d, i) => (this.method === 'symmetric' ? -Math.floor((size[i] - d) / 2) : 0)) as Shape3;
    s[key] = await cropTensor(t, start, size, this.name, key, this.value);
    shiftAffine(s, key, start);
  }
}

/** MONAI correct_crop_centers + SpatialCrop: the crop start for a center, clipped to the image. */
export function cropStartForCenter(center: number[], size: number[], dims: number[]): { start: Shape3; size: Shape3 } {
  const start = [0, 0, 0] as Shape3,
    out = [0, 0, 0] as Shape3;
  for (let d = 0; d < 3; d++) {
    const sz = Math.min(size[d], dims[d]);
    const validStart = Math.floor(sz / 2);
    let validEnd = Math.floor(dims[d] + 1 - sz / 2);
    if (validStart === validEnd) validEnd++;
    const c = Math.min(Math.max(center[d], validStart), validEnd - 1);
    const s0 = Math.max(c - Math.floor(sz / 2), 0);
    const e0 = Math.min(s0 + sz, dims[d]);
    start[d] = s0;
    out[d] = e0 - s0;
  }
  return { start, size: out };
}

interface PosNegDraw {
  starts: { start: Shape3; size: Shape3 }[];
}

export class RandCropByPosNegLabeld extends RandomTransform {
  readonly name = 'RandCropByPosNegLabeld';
  constructor(
    readonly keys: string[],
    readonly labelKey: string,
    readonly spatialSize: number[],
    readonly opts: {
      pos?: number;
      neg?: number;
      num_samples?: number;
      image_key?: string;
      image_threshold?: number;
      allow_smaller?: boolean;
      allowMissingKeys?: boolean;
    } = {},
  ) {
    super();
    const pos = opts.pos ?? 1,
      neg = opts.neg ?? 1;
    if (pos < 0 || neg < 0 || pos + neg === 0) throw new ClaraError(`RandCropByPosNegLabeld: pos and neg must be >= 0 and not both 0 (got ${pos}, ${neg})`);
    if (!Number.isInteger(opts.num_samples ?? 1) || (opts.num_samples ?? 1) < 1)
      throw new ClaraError('RandCropByPosNegLabeld: num_samples must be a positive integer');
  }

  /** Foreground/background indices, computed once per label and cached in its meta dict. */
  async indices(s: Sample): Promise<{ fg: Int32Array; bg: Int32Array }> {
    const label = getTensor(s, this.labelKey, this.name);
    const { c, sp } = spatialOf(label, this.name, this.labelKey);
    const meta = getMeta(s, this.labelKey);
    const cacheKey = `${this.opts.image_key ?? ''}:${this.opts.image_threshold ?? 0}`;
    const hit = meta?.fg_bg_indices;
    if (hit && hit.key === cacheKey && hit.shape.every((d, i) => d === sp[i])) return hit;
    const image = this.opts.image_key ? getTensor(s, this.opts.image_key, this.name) : undefined;
    const got = await K.fgBgIndices(label.data, c, image?.data ?? null, image?.shape[0] ?? 0, sp[0] * sp[1] * sp[2], this.opts.image_threshold ?? 0);
    // Written into the meta object shared with the cached sample: later epochs reuse it.
    const sharedMeta = meta ? ((s as Record<string, unknown>)[`${this.labelKey}_meta_dict`] as typeof meta) : undefined;
    if (sharedMeta) sharedMeta.fg_bg_indices = { ...got, shape: [...sp], key: cacheKey };
    return got;
  }

  draw(dims: number[], idx: { fg: Int32Array; bg: Int32Array }, rng: Rng): PosNegDraw {
    const pos = this.opts.pos ?? 1,
      neg = this.opts.neg ?? 1;
    const size = this.spatialSize.map((d, i) => (d > 0 ? d : dims[i]));
    if (!this.opts.allow_smaller && size.some((d, i) => d > dims[i]))
      throw new ClaraError(
        `${this.name}: the crop spatial_size [${size}] is larger than the image [${dims}] (after the earlier transforms); set allow_smaller or pad first (SpatialPadd)`,
      );
    const starts: PosNegDraw['starts'] = [];
    for (let n = 0; n < (this.opts.num_samples ?? 1); n++) {
      let usePos = rng.random() < pos / (pos + neg);
      if (idx.fg.length === 0) usePos = false;
      if (idx.bg.length === 0) usePos = true;
      const list = usePos ? idx.fg : idx.bg;
      if (list.length === 0) throw new ClaraError(`${this.name}: label '${this.labelKey}' has neither foreground nor background voxels`);
      const v = list[rng.int(0, list.length)];
      const center = [Math.floor(v / (dims[1] * dims[2])), Math.floor(v / dims[2]) % dims[1], v % dims[2]];
      starts.push(cropStartForCenter(center, size, dims));
    }
    return { starts };
  }

  async apply(sample: Sample, rng?: Rng): Promise<Sample[]> {
    const label = getTensor(sample, this.labelKey, this.name);
    const { sp } = spatialOf(label, this.name, this.labelKey);
    // The draw happens before the first await when indices are cached; either way it
    // uses only the stream of this call.
    const r = this.stream(rng);
    const fork = new Rng(r.nextSeed());
    const idx = await this.indices(sample);
    const { starts } = this.draw(sp, idx, fork);
    const out: Sample[] = [];
    for (const { start, size } of starts) {
      const s = copySample(sample);
      for (const key of this.keys) {
        if (!(key in s) && this.opts.allowMissingKeys) continue;
        s[key] = await cropTensor(getTensor(s, key, this.name), start, size, this.name, key);
        shiftAffine(s, key, start);
      }
      out.push(s);
    }
    return out;
  }
}

/** Clara 3.x CropFixedSizeRandomCenter: a `size` crop at a uniformly random position fully inside
 * the image (padded with zeros, centered, where the image is smaller). */
export class CropFixedSizeRandomCenter extends RandomMapTransform<Shape3> {
  constructor(
    keys: string[],
    readonly size: number[],
    readonly name = 'CropFixedSizeRandomCenter',
  ) {
    super(keys);
    if (size.length !== 3 || !size.every((d) => Number.isInteger(d) && d > 0))
      throw new ClaraError(`CropFixedSizeRandomCenter: size must be 3 positive integers, got ${JSON.stringify(size)}`);
  }
  protected override draw(s: Sample, rng?: Rng): Shape3 {
    const { sp } = spatialOf(getTensor(s, this.keys[0], this.name), this.name, this.keys[0]);
    const r = this.stream(rng);
    return sp.map((d, i) => (d >= this.size[i] ? r.int(0, d - this.size[i] + 1) : -Math.floor((this.size[i] - d) / 2))) as Shape3;
  }
  protected async applyKey(s: Sample, key: string, _i: number, start: Shape3): Promise<void> {
    s[key] = await cropTensor(getTensor(s, key, this.name), start, this.size as Shape3, this.name, key);
    shiftAffine(s, key, start);
  }
}

function flipAffine(s: Sample, key: string, mask: number, sp: Shape3): void {
  if (!getMeta(s, key)) return;
  const m = eye();
  for (let d = 0; d < 3; d++)
    if (mask & (1 << d)) {
      m[d][d] = -1;
      m[d][3] = sp[d] - 1;
    }
  setAffine(s, key, matmul(affineOf(s, key), m));
}

/** A random flip: draw() gives the mask of spatial axes to flip (bit d = axis d; 0 = none), and
 * every key is flipped the same way, its affine updated. */
abstract class RandomFlipTransform extends RandomMapTransform<number> {
  protected async applyKey(s: Sample, key: string, _i: number, mask: number): Promise<void> {
    if (!mask) return;
    const t = getTensor(s, key, this.name);
    const { c, sp } = spatialOf(t, this.name, key);
    s[key] = { data: await K.flip(t.data, c, sp, mask), shape: t.shape };
    flipAffine(s, key, mask, sp);
  }
}

/** MONAI RandFlipd: with probability prob flips spatial_axis (all three when null). */
export class RandFlipd extends RandomFlipTransform {
  readonly name: string;
  readonly mask: number;
  constructor(
    keys: string[],
    readonly prob = 0.1,
    spatialAxis: number | number[] | null = null,
    opts: { allowMissingKeys?: boolean; name?: string } = {},
  ) {
    super(keys, opts.allowMissingKeys);
    this.name = opts.name ?? 'RandFlipd';
    const axes = spatialAxis === null ? [0, 1, 2] : Array.isArray(spatialAxis) ? spatialAxis : [spatialAxis];
    if (!axes.every((a) => a === 0 || a === 1 || a === 2 || a === -1 || a === -2 || a === -3))
      throw new ClaraError(`${this.name}: spatial_axis must be in 0..2, got ${JSON.stringify(spatialAxis)}`);
    this.mask = (axes as number[]).reduce((m: number, a: number) => m | (1 << (a + 3) % 3), 0);
  }
  protected override draw(_s: Sample, rng?: Rng): number {
    return this.stream(rng).random() < this.prob ? this.mask : 0;
  }
}

/** Clara 3.x RandomSpatialFlip (assumed semantics): each spatial axis is flipped independently
 * with probability `probability` (default 0.5); image and label share the draw. */
export class RandomSpatialFlip extends RandomFlipTransform {
  readonly name = 'RandomSpatialFlip';
  constructor(
    keys: string[],
    readonly probability = 0.5,
  ) {
    super(keys);
  }
  protected override draw(_s: Sample, rng?: Rng): number {
    const r = this.stream(rng);
    let m = 0;
    for (let d = 0; d < 3; d++) if (r.random() < this.probability) m |= 1 << d;
    return m;
  }
}

/** Clara 3.x RandomAxisFlip / MONAI RandAxisFlipd: with probability flips one spatial axis chosen uniformly. */
export class RandomAxisFlip extends RandomFlipTransform {
  readonly name = 'RandomAxisFlip';
  constructor(
    keys: string[],
    readonly probability = 0.5,
  ) {
    super(keys);
  }
  protected override draw(_s: Sample, rng?: Rng): number {
    const r = this.stream(rng);
    const doIt = r.random() < this.probability;
    const axis = r.int(0, 3);
    return doIt ? 1 << axis : 0;
  }
}

/** MONAI RandRotate90d: with probability prob rotates by k·90° (k uniform in 1..max_k) in spatial_axes. */
export class RandRotate90d extends RandomMapTransform<number> {
  readonly name = 'RandRotate90d';
  readonly spatialAxes: [number, number];
  constructor(
    keys: string[],
    readonly prob = 0.1,
    readonly maxK = 3,
    spatialAxes: [number, number] = [0, 1],
    allowMissingKeys = false,
  ) {
    super(keys, allowMissingKeys);
    this.spatialAxes = checkAxes(spatialAxes, this.name);
    if (!Number.isInteger(maxK) || maxK < 1) throw new ClaraError(`RandRotate90d: max_k must be a positive integer, got ${maxK}`);
  }
  protected override draw(_s: Sample, rng?: Rng): number {
    const r = this.stream(rng);
    const doIt = r.random() < this.prob;
    const k = r.int(0, this.maxK) + 1;
    return doIt ? k : 0;
  }
  protected async applyKey(s: Sample, key: string, _i: number, k: number): Promise<void> {
    if (!k) return;
    const t = getTensor(s, key, this.name);
    spatialOf(t, this.name, key); // refuses a tensor that is not channel-first 3D
    await rotate90Key(s, key, this.name, k, this.spatialAxes);
  }
}

/** The 4x4 map from voxel indices after numpy.rot90(k, axes=(a0, a1)) to indices before it. */
export function rot90IndexMap(shape: number[], k: number, a0: number, a1: number): Mat {
  k = ((k % 4) + 4) % 4;
  const m = eye();
  if (k === 0) return m;
  m[a0][a0] = 0;
  m[a1][a1] = 0;
  if (k === 1) {
    m[a0][a1] = 1;
    m[a1][a0] = -1;
    m[a1][3] = shape[a1] - 1;
  } else if (k === 2) {
    m[a0][a0] = -1;
    m[a0][3] = shape[a0] - 1;
    m[a1][a1] = -1;
    m[a1][3] = shape[a1] - 1;
  } else {
    m[a0][a1] = -1;
    m[a0][3] = shape[a0] - 1;
    m[a1][a0] = 1;
  }
  return m;
}

function checkAxes(axes: unknown, name: string): [number, number] {
  const ok = Array.isArray(axes) && axes.length === 2 && axes.every((a) => Number.isInteger(a) && a >= -3 && a <= 2);
  const norm = ok ? (axes as number[]).map((a) => (a + 3) % 3) : [];
  if (!ok || norm[0] === norm[1]) throw new ClaraError(`${name}: spatial_axes must be two different spatial axes in 0..2, got ${JSON.stringify(axes)}`);
  return norm as [number, number];
}

async function rotate90Key(s: Sample, key: string, name: string, k: number, axes: [number, number]): Promise<void> {
  const t = getTensor(s, key, name);
  const { c, sp } = spatialOf(t, name, key);
  const r = await K.rot90(t.data, c, sp, k, axes[0], axes[1]);
  s[key] = { data: r.data, shape: [c, ...r.shape] };
  if (getMeta(s, key)) setAffine(s, key, matmul(affineOf(s, key), rot90IndexMap(sp, k, axes[0], axes[1])));
}

/** MONAI Rotate90d: rotates by k·90° in spatial_axes (numpy.rot90 direction), affine updated. */
export class Rotate90d extends MapTransform {
  readonly name = 'Rotate90d';
  readonly spatialAxes: [number, number];
  constructor(
    keys: string[],
    readonly k = 1,
    spatialAxes: [number, number] = [0, 1],
    allowMissingKeys = false,
  ) {
    super(keys, allowMissingKeys);
    if (!Number.isInteger(k)) throw new ClaraError(`Rotate90d: k must be an integer, got ${k}`);
    this.spatialAxes = checkAxes(spatialAxes, this.name);
  }
  protected async applyKey(s: Sample, key: string): Promise<void> {
    await rotate90Key(s, key, this.name, this.k, this.spatialAxes);
  }
}

/** MONAI Flipd: flips spatial_axis (all three when null), affine updated. */
export class Flipd extends MapTransform {
  readonly name = 'Flipd';
  readonly mask: number;
  constructor(keys: string[], spatialAxis: number | number[] | null = null, allowMissingKeys = false) {
    super(keys, allowMissingKeys);
    const axes = spatialAxis === null ? [0, 1, 2] : Array.isArray(spatialAxis) ? spatialAxis : [spatialAxis];
    if (!axes.every((a) => Number.isInteger(a) && a >= -3 && a <= 2))
      throw new ClaraError(`Flipd: spatial_axis must be in 0..2, got ${JSON.stringify(spatialAxis)}`);
    this.mask = axes.reduce((m: number, a: number) => m | (1 << (a + 3) % 3), 0);
  }
  protected async applyKey(s: Sample, key: string): Promise<void> {
    const t = getTensor(s, key, this.name);
    const { c, sp } = spatialOf(t, this.name, key);
    s[key] = { data: await K.flip(t.data, c, sp, this.mask), shape: t.shape };
    flipAffine(s, key, this.mask, sp);
  }
}

/** A MONAI RandRange (rotate_range, shear_range, ...): a number or a list whose entries are a
 * number x (uniform in [-x, x]), a [min, max] pair, or null (skipped). */
export type RandRange = number | (number | [number, number] | null)[] | null | undefined;

/** MONAI RandAffineGrid._get_rand_param: one draw per entry given (a scalar covers axis 0 only). */
export function drawRange(range: RandRange, r: Rng, add = 0): number[] {
  if (range === null || range === undefined) return [];
  const list = Array.isArray(range) ? range : [range];
  const out: number[] = [];
  for (const f of list) {
    if (Array.isArray(f)) out.push(r.uniform(f[0], f[1]) + add);
    else if (f !== null && f !== undefined) out.push(r.uniform(-f, f) + add);
  }
  return out;
}

/** MONAI fall_back_tuple(spatial_size, image size): a scalar repeats; entries < 1 (or none) keep the image's. */
export function fallbackSize(size: number | number[] | null | undefined, sp: number[]): Shape3 {
  if (size === null || size === undefined) return [...sp] as Shape3;
  const list = Array.isArray(size) ? size : [size, size, size];
  return sp.map((d, i) => (list[i] !== undefined && list[i] !== null && list[i] >= 1 ? list[i] : d)) as Shape3;
}

interface AffineDraw {
  a: Mat;
  out: Shape3;
}

/** Shared by Affined and RandAffined: resamples every key through the centred affine `a`
 * (output voxel − output centre → input voxel − input centre, MONAI AffineGrid + Resample) and
 * updates the meta affine by compute_w_affine, as MONAI's affine_func does. */
abstract class AffineResampleTransform extends RandomMapTransform<AffineDraw | null> {
  protected readonly modes: InterpMode[];
  protected readonly paddings: PaddingMode[];
  constructor(keys: string[], name: string, mode: string | string[] | undefined, padding: string | string[] | undefined, allowMissingKeys = false) {
    super(keys, allowMissingKeys);
    const m = mode ?? 'bilinear',
      p = padding ?? 'reflection';
    for (const [arg, v] of [
      ['mode', m],
      ['padding_mode', p],
    ] as const)
      if (Array.isArray(v) && v.length !== keys.length) throw new ClaraError(`${name}: '${arg}' needs one entry per key (${keys.length}), got ${v.length}`);
    this.modes = keys.map((_, i) => interpMode(Array.isArray(m) ? m[i] : m, name));
    this.paddings = keys.map((_, i) => paddingMode(Array.isArray(p) ? p[i] : p, name));
  }
  protected firstSpatial(s: Sample): Shape3 {
    const key = this.keys.find((k) => k in s) ?? this.keys[0];
    return spatialOf(getTensor(s, key, this.name), this.name, key).sp;
  }
  protected async applyKey(s: Sample, key: string, i: number, p: AffineDraw | null): Promise<void> {
    if (!p) return;
    const t = getTensor(s, key, this.name);
    const { c, sp } = spatialOf(t, this.name, key);
    const m = centredToIndex(p.a, sp, p.out);
    s[key] = { data: await K.resample(t.data, c, sp, p.out, [...m[0], ...m[1], ...m[2]], this.modes[i], this.paddings[i]), shape: [c, ...p.out] };
    if (getMeta(s, key)) setAffine(s, key, matmul(affineOf(s, key), m));
  }
}

/** MONAI Affined: rotate (radians, about x then y then z), shear (6 coefficients), translate (voxels),
 * scale, composed rotate·shear·translate·scale; or a given 4x4 `affine`. Always resamples. */
export class Affined extends AffineResampleTransform {
  readonly name = 'Affined';
  override readonly random = false;
  private readonly a: Mat;
  constructor(
    keys: string[],
    readonly opts: {
      rotate_params?: number | number[] | null;
      shear_params?: number | number[] | null;
      translate_params?: number | number[] | null;
      scale_params?: number | number[] | null;
      affine?: number[][] | null;
      spatial_size?: number | number[] | null;
      mode?: string | string[];
      padding_mode?: string | string[];
      allowMissingKeys?: boolean;
    } = {},
  ) {
    super(keys, 'Affined', opts.mode, opts.padding_mode, opts.allowMissingKeys);
    // MONAI tests `if params:` — a scalar 0 or an empty list means none
    const list = (v: number | number[] | null | undefined) => (v === null || v === undefined || v === 0 ? [] : Array.isArray(v) ? v : [v]);
    if (opts.affine) {
      const ok = opts.affine.length === 4 && opts.affine.every((r) => Array.isArray(r) && r.length === 4 && r.every(Number.isFinite));
      if (!ok) throw new ClaraError(`Affined: affine must be a 4x4 matrix, got ${JSON.stringify(opts.affine)}`);
      this.a = opts.affine.map((r) => [...r]);
    } else {
      this.a = affineFromParams({
        rotate: list(opts.rotate_params),
        shear: list(opts.shear_params),
        translate: list(opts.translate_params),
        scale: list(opts.scale_params),
      });
    }
  }
  protected override draw(s: Sample): AffineDraw {
    const sp = this.firstSpatial(s);
    return { a: this.a, out: fallbackSize(this.opts.spatial_size, sp) };
  }
}

/** MONAI RandAffined: with probability prob a random affine (rotate_range, shear_range,
 * translate_range, scale_range as MONAI's RandAffineGrid draws them; image and label share the draw).
 * When not drawn but spatial_size differs from the image, the centred crop/pad resample still runs. */
export class RandAffined extends AffineResampleTransform {
  readonly name = 'RandAffined';
  constructor(
    keys: string[],
    readonly opts: {
      prob?: number;
      rotate_range?: RandRange;
      shear_range?: RandRange;
      scale_range?: RandRange;
      translate_range?: RandRange;
      spatial_size?: number | number[] | null;
      mode?: string | string[];
      padding_mode?: string | string[];
      allowMissingKeys?: boolean;
    } = {},
  ) {
    super(keys, 'RandAffined', opts.mode, opts.padding_mode, opts.allowMissingKeys);
    for (const arg of ['rotate_range', 'shear_range', 'translate_range', 'scale_range'] as const) {
      const v = opts[arg];
      const entries = v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];
      const ok = entries.every(
        (f) =>
          f === null ||
          (typeof f === 'number' && Number.isFinite(f)) ||
          (Array.isArray(f) && f.length === 2 && f.every((x) => typeof x === 'number' && Number.isFinite(x))),
      );
      if (!ok) throw new ClaraError(`RandAffined: ${arg} must be a number or a list of numbers / [min, max] pairs, got ${JSON.stringify(v)}`);
    }
  }
  protected override draw(s: Sample, rng?: Rng): AffineDraw | null {
    const r = this.stream(rng);
    // all parameters are drawn on every call so the stream advances the same way whatever the outcome
    const doIt = r.random() < (this.opts.prob ?? 0.1);
    const params = {
      rotate: drawRange(this.opts.rotate_range, r),
      shear: drawRange(this.opts.shear_range, r),
      translate: drawRange(this.opts.translate_range, r),
      scale: drawRange(this.opts.scale_range, r, 1),
    };
    const sp = this.firstSpatial(s);
    const out = fallbackSize(this.opts.spatial_size, sp);
    if (!doIt && out.every((d, i) => d === sp[i])) return null;
    return { a: doIt ? affineFromParams(params) : eye(), out };
  }
}
