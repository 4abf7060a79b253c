// Loading and layout: LoadImaged (LoadNifti), EnsureChannelFirstd (ConvertToChannelsFirst), ToTensord.
import { resolve } from 'node:path';
import { ClaraError } from '../util/errors.js';
import { getTensor, MapTransform } from './base.js';
import { loadNiftiImage } from './nifti-source.js';
import { metaKey, type MetaDict, type Sample } from './types.js';

export class LoadImaged extends MapTransform {
  readonly name: string;
  constructor(keys: string[], opts: { baseDir?: string; allowMissingKeys?: boolean; name?: string } = {}) {
    super(keys, opts.allowMissingKeys);
    this.name = opts.name ?? 'LoadImaged';
    this.baseDir = opts.baseDir;
  }
  private readonly baseDir?: string;
  protected async applyKey(s: Sample, key: string): Promise<void> {
    const v = s[key];
    if (typeof v !== 'string') throw new ClaraError(`${this.name}: '${key}' must be a file name, got ${typeof v}`);
    const file = this.baseDir ? resolve(this.baseDir, v) : v;
    const im = await loadNiftiImage(file);
    s[key] = { data: im.data, shape: im.shape };
    const meta: MetaDict = {
      affine: im.affine.map((r) => [...r]),
      original_affine: im.affine.map((r) => [...r]),
      spatial_shape: im.shape.slice(0, 3),
      pixdim: im.pixdim,
      filename_or_obj: file,
    };
    s[metaKey(key)] = meta;
  }
}

/** [i,j,k] → [1,i,j,k]; [i,j,k,c] → [c,i,j,k] (NIfTI keeps channels last: MONAI channel_dim -1). */
export class EnsureChannelFirstd extends MapTransform {
  readonly name: string;
  constructor(keys: string[], opts: { allowMissingKeys?: boolean; name?: string } = {}) {
    super(keys, opts.allowMissingKeys);
    this.name = opts.name ?? 'EnsureChannelFirstd';
  }
  protected applyKey(s: Sample, key: string): void {
    const t = getTensor(s, key, this.name);
    if (t.shape.length === 3) {
      s[key] = { data: t.data, shape: [1, ...t.shape] };
      return;
    }
    if (t.shape.length !== 4) throw new ClaraError(`${this.name}: '${key}' has shape [${t.shape}]; expected 3D or 4D (channels last)`);
    const [ni, nj, nk, c] = t.shape;
    const sp = ni * nj * nk;
    const out = new Float32Array(t.data.length);
    for (let v = 0; v < sp; v++) for (let ch = 0; ch < c; ch++) out[ch * sp + v] = t.data[v * c + ch];
    s[key] = { data: out, shape: [c, ni, nj, nk] };
  }
}

/** Tensors are already Float32Array [C, i, j, k]: checks the keys exist and passes through. */
export class ToTensord extends MapTransform {
  readonly name = 'ToTensord';
  protected applyKey(s: Sample, key: string): void {
    getTensor(s, key, this.name);
  }
}
