// Spatial dict transforms: Orientationd, Spacingd (ScaleByResolution), CropForegroundd,
// SpatialPadd, RandCropByPosNegLabeld, CropFixedSizeRandomCenter, RandFlipd
// (RandomSpatialFlip), RandRotate90d, RandAffined. Geometry follows MONAI: the meta
// affine is updated so that voxel → world stays true.
import { ClaraError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { Shape3 } from '../native/transforms.js';
import { copySample, getMeta, getTensor, MapTransform, RandomMapTransform, RandomTransform, spatialOf, Transform } from './base.js';
import { axcodesToOrnt, computeShapeOffset, eye, ioOrientation, matmul, translate, voxelXform, zoomAffine, type Mat } from './geometry.js';
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
  constructor(keys: string[], readonly axcodes = 'RAS', allowMissingKeys = false) {
    super(keys, allowMissingKeys);
    axcodesToOrnt(axcodes);
  }
  protected async applyKey(s: Sample, key: string): Promise<void> {
    const t = getTensor(s, key, this.name);
    const { c, sp } = spatialOf(t, this.name, key);
    const affine = affineOf(s, key);
    const src = ioOrientation(affine), dst = axcodesToOrnt(this.axcodes);
    // M: new voxel index → old voxel index (a permutation with flips)
    const m = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]];
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

export class Spacingd extends MapTransform {
  readonly name: string;
  private readonly modes: InterpMode[];
  private readonly paddings: PaddingMode[];
  constructor(keys: string[], readonly pixdim: number[], opts: { mode?: string | string[]; padding_mode?: string | string[]; allowMissingKeys?: boolean; name?: string } = {}) {
    super(keys, opts.allowMissingKeys);
    this.name = opts.name ?? 'Spacingd';
    const m = opts.mode ?? 'bilinear', p = opts.padding_mode ?? 'border';
    this.modes = keys.map((_, i) => interpMode(Array.isArray(m) ? m[i] : m, this.name));
    this.paddings = keys.map((_, i) => paddingMode(Array.isArray(p) ? p[i] : p, this.name));
    if ((Array.isArray(m) && m.length !== keys.length) || (Array.isArray(p) && p.length !== keys.length))
      throw new ClaraError(`${this.name}: 'mode' and 'padding_mode' lists need one entry per key (${keys.length})`);
    if (!pixdim.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new ClaraError(`${this.name}: pixdim must be numbers, got ${JSON.stringify(pixdim)}`);
  }
  protected async applyKey(s: Sample, key: string, i: number): Promise<void> {
    const t = getTensor(s, key, this.name);
    const { c, sp } = spatialOf(t, this.name, key);
    const affine = affineOf(s, key);
    const pd = this.pixdim.length === 1 ? [this.pixdim[0], this.pixdim[0], this.pixdim[0]] : this.pixdim;
    const next = zoomAffine(affine, pd);
    const { shape, offset } = computeShapeOffset(sp, affine, next);
    for (let d = 0; d < 3; d++) next[d][3] = offset[d];
    const xform = voxelXform(affine, next);
    const identity = xform.every((v, j) => Math.abs(v - [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0][j]) < 1e-6);
    if (identity && shape.every((d, j) => d === sp[j])) { setAffine(s, key, next); return; }
    const data = await K.resample(t.data, c, sp, shape as Shape3, xform, this.modes[i], this.paddings[i]);
    s[key] = { data, shape: [c, ...shape] };
    setAffine(s, key, next);
  }
}

/** Crops every key to the bounding box of `source_key` > threshold (MONAI select_fn x > 0), with margin and k_divisible. */
export class CropForegroundd extends Transform {
  readonly name = 'CropForegroundd';
  constructor(readonly keys: string[], readonly sourceKey: string,
    readonly opts: { margin?: number | number[]; k_divisible?: number | number[]; threshold?: number; channel_indices?: number[]; allowMissingKeys?: boolean } = {}) {
    super();
  }
  /** The crop box [start, end) in the source's voxels (may extend past the image with k_divisible). */
  box(s: Sample): { start: Shape3; end: Shape3 } | null {
    const src = getTensor(s, this.sourceKey, this.name);
    const { c, sp } = spatialOf(src, this.name, this.sourceKey);
    let data = src.data, ch = c;
    if (this.opts.channel_indices) {
      const n = sp[0] * sp[1] * sp[2];
      ch = this.opts.channel_indices.length;
      data = new Float32Array(ch * n);
      this.opts.channel_indices.forEach((ci, o) => data.set(src.data.subarray(ci * n, (ci + 1) * n), o * n));
    }
    const bb = K.boundingBox(data, ch, sp, this.opts.threshold ?? 0);
    if (!bb) return null;
    const margin = [0, 1, 2].map((d) => (Array.isArray(this.opts.margin) ? this.opts.margin[d] : this.opts.margin ?? 0));
    const kdiv = [0, 1, 2].map((d) => (Array.isArray(this.opts.k_divisible) ? this.opts.k_divisible[d] : this.opts.k_divisible ?? 1));
    const start = [0, 1, 2].map((d) => Math.max(bb.start[d] - margin[d], 0)) as Shape3;
    const end = [0, 1, 2].map((d) => Math.min(bb.end[d] + margin[d], sp[d])) as Shape3;
    for (let d = 0; d < 3; d++) {
      const size = end[d] - start[d], want = Math.ceil(size / kdiv[d]) * kdiv[d];
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
  constructor(keys: string[], readonly spatialSize: number[], readonly method: 'symmetric' | 'end' = 'symmetric', readonly value = 0, allowMissingKeys = false) {
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
  const start = [0, 0, 0] as Shape3, out = [0, 0, 0] as Shape3;
  for (let d = 0; d < 3; d++) {
    const sz = Math.min(size[d], dims[d]);
    const validStart = Math.floor(sz / 2);
    let validEnd = Math.floor(dims[d] + 1 - sz / 2);
    if (validStart === validEnd) validEnd++;
    const c = Math.min(Math.max(center[d], validStart), validEnd - 1);
    const s0 = Math.max(c - Math.floor(sz / 2), 0);
    const e0 = Math.min(s0 + sz, dims[d]);
    start[d] = s0; out[d] = e0 - s0;
  }
  return { start, size: out };
}

interface PosNegDraw { starts: { start: Shape3; size: Shape3 }[] }

export class RandCropByPosNegLabeld extends RandomTransform {
  readonly name = 'RandCropByPosNegLabeld';
  constructor(readonly keys: string[], readonly labelKey: string, readonly spatialSize: number[],
    readonly opts: { pos?: number; neg?: number; num_samples?: number; image_key?: string; image_threshold?: number; allow_smaller?: boolean; allowMissingKeys?: boolean } = {}) {
    super();
    const pos = opts.pos ?? 1, neg = opts.neg ?? 1;
    if (pos < 0 || neg < 0 || pos + neg === 0) throw new ClaraError(`RandCropByPosNegLabeld: pos and neg must be >= 0 and not both 0 (got ${pos}, ${neg})`);
    if (!Number.isInteger(opts.num_samples ?? 1) || (opts.num_samples ?? 1) < 1) throw new ClaraError('RandCropByPosNegLabeld: num_samples must be a positive integer');
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
    const sharedMeta = meta ? (s as Record<string, unknown>)[`${this.labelKey}_meta_dict`] as typeof meta : undefined;
    if (sharedMeta) sharedMeta.fg_bg_indices = { ...got, shape: [...sp], key: cacheKey };
    return got;
  }

  draw(dims: number[], idx: { fg: Int32Array; bg: Int32Array }, rng: Rng): PosNegDraw {
    const pos = this.opts.pos ?? 1, neg = this.opts.neg ?? 1;
    const size = this.spatialSize.map((d, i) => (d > 0 ? d : dims[i]));
    if (!this.opts.allow_smaller && size.some((d, i) => d > dims[i]))
      throw new ClaraError(`${this.name}: the crop spatial_size [${size}] is larger than the image [${dims}] (after the earlier transforms); set allow_smaller or pad first (SpatialPadd)`);
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
  constructor(keys: string[], readonly size: number[], readonly name = 'CropFixedSizeRandomCenter') {
    super(keys);
    if (size.length !== 3 || !size.every((d) => Number.isInteger(d) && d > 0)) throw new ClaraError(`CropFixedSizeRandomCenter: size must be 3 positive integers, got ${JSON.stringify(size)}`);
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
  for (let d = 0; d < 3; d++) if (mask & (1 << d)) { m[d][d] = -1; m[d][3] = sp[d] - 1; }
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
  constructor(keys: string[], readonly prob = 0.1, spatialAxis: number | number[] | null = null, opts: { allowMissingKeys?: boolean; name?: string } = {}) {
    super(keys, opts.allowMissingKeys);
    this.name = opts.name ?? 'RandFlipd';
    const axes = spatialAxis === null ? [0, 1, 2] : Array.isArray(spatialAxis) ? spatialAxis : [spatialAxis];
    if (!axes.every((a) => a === 0 || a === 1 || a === 2 || a === -1 || a === -2 || a === -3)) throw new ClaraError(`${this.name}: spatial_axis must be in 0..2, got ${JSON.stringify(spatialAxis)}`);
    this.mask = (axes as number[]).reduce((m: number, a: number) => m | (1 << ((a + 3) % 3)), 0);
  }
  protected override draw(_s: Sample, rng?: Rng): number {
    return this.stream(rng).random() < this.prob ? this.mask : 0;
  }
}

/** Clara 3.x RandomSpatialFlip (assumed semantics): each spatial axis is flipped independently
 * with probability `probability` (default 0.5); image and label share the draw. */
export class RandomSpatialFlip extends RandomFlipTransform {
  readonly name = 'RandomSpatialFlip';
  constructor(keys: string[], readonly probability = 0.5) {
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
  constructor(keys: string[], readonly probability = 0.5) {
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
  constructor(keys: string[], readonly prob = 0.1, readonly maxK = 3, readonly spatialAxes: [number, number] = [0, 1], allowMissingKeys = false) {
    super(keys, allowMissingKeys);
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
    const { c, sp } = spatialOf(t, this.name, key);
    const r = await K.rot90(t.data, c, sp, k, this.spatialAxes[0], this.spatialAxes[1]);
    s[key] = { data: r.data, shape: [c, ...r.shape] };
  }
}

function rangePair(v: number | number[] | undefined, d: number): [number, number] {
  if (v === undefined || v === null) return [0, 0];
  const x = Array.isArray(v) ? v[d] ?? 0 : v;
  if (Array.isArray(x)) return [x[0], x[1]];
  return [-Math.abs(x), Math.abs(x)];
}

/** MONAI RandAffined: rotation (radians), scale (1 + u), translation (voxels) around the center. */
export class RandAffined extends RandomMapTransform<number[] | null> {
  readonly name = 'RandAffined';
  private readonly modes: InterpMode[];
  private readonly padding: PaddingMode;
  constructor(keys: string[], readonly opts: {
    prob?: number; rotate_range?: number | number[]; scale_range?: number | number[]; translate_range?: number | number[];
    spatial_size?: number[] | null; mode?: string | string[]; padding_mode?: string;
  } = {}) {
    super(keys);
    const m = opts.mode ?? 'bilinear';
    this.modes = keys.map((_, i) => interpMode(Array.isArray(m) ? m[i] : m, this.name));
    this.padding = paddingMode(opts.padding_mode ?? 'reflection', this.name);
  }
  protected override draw(s: Sample, rng?: Rng): number[] | null {
    const r = this.stream(rng);
    const doIt = r.random() < (this.opts.prob ?? 0.1);
    const rot = [0, 1, 2].map((d) => { const [a, b] = rangePair(this.opts.rotate_range, d); return r.uniform(a, b); });
    const sc = [0, 1, 2].map((d) => { const [a, b] = rangePair(this.opts.scale_range, d); return 1 + r.uniform(a, b); });
    const tr = [0, 1, 2].map((d) => { const [a, b] = rangePair(this.opts.translate_range, d); return r.uniform(a, b); });
    if (!doIt) return null;
    const { sp } = spatialOf(getTensor(s, this.keys[0], this.name), this.name, this.keys[0]);
    const out = (this.opts.spatial_size ?? sp).map((d, i) => (d > 0 ? d : sp[i]));
    const [cx, sx] = [Math.cos(rot[0]), Math.sin(rot[0])], [cy, sy] = [Math.cos(rot[1]), Math.sin(rot[1])], [cz, sz] = [Math.cos(rot[2]), Math.sin(rot[2])];
    const Rx = [[1, 0, 0], [0, cx, -sx], [0, sx, cx]], Ry = [[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]], Rz = [[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]];
    const R = matmul(Rz, matmul(Ry, Rx));
    const M = R.map((row) => row.map((v, j) => v * sc[j]));
    const cIn = sp.map((d) => (d - 1) / 2), cOut = out.map((d) => (d - 1) / 2);
    const t = [0, 1, 2].map((i) => tr[i] + cIn[i] - (M[i][0] * cOut[0] + M[i][1] * cOut[1] + M[i][2] * cOut[2]));
    return [...M[0], t[0], ...M[1], t[1], ...M[2], t[2], ...out];
  }
  protected async applyKey(s: Sample, key: string, i: number, p: number[] | null): Promise<void> {
    if (!p) return;
    const t = getTensor(s, key, this.name);
    const { c, sp } = spatialOf(t, this.name, key);
    const out = p.slice(12, 15) as Shape3;
    s[key] = { data: await K.resample(t.data, c, sp, out, p.slice(0, 12), this.modes[i], this.padding), shape: [c, ...out] };
  }
}
