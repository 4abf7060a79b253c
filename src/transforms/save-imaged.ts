// SaveImaged (MONAI): writes a key as NIfTI with MONAI's file naming
// (output_dir/[<rel dir>/][<subject>/]<subject>[_<postfix>]<ext>, the subject being the source
// file's name without its extension), the meta affine (or, with resample, the data resampled
// onto the original grid and written with the original affine), channels last with trailing
// singleton dimensions squeezed, in output_dtype (float32 by default).
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, normalize, relative, resolve } from 'node:path';
import { writeNifti } from '../io/nifti/index.js';
import type { DType } from '../io/volume.js';
import { ClaraError } from '../util/errors.js';
import { getTensor, keyList, perKey, Transform } from './base.js';
import { voxelXform } from './geometry.js';
import * as K from './kernels.js';
import type { Shape3 } from '../native/transforms.js';
import type { MetaDict, Sample } from './types.js';

interface SaveImagedOptions {
  metaKeys?: string | string[] | null;
  metaKeyPostfix?: string;
  outputDir?: string;
  outputPostfix?: string;
  outputExt?: string;
  resample?: boolean;
  mode?: 'nearest' | 'bilinear';
  paddingMode?: 'border' | 'zeros' | 'reflection';
  outputDtype?: DType;
  squeezeEndDims?: boolean;
  dataRootDir?: string;
  separateFolder?: boolean;
  printLog?: boolean;
  allowMissingKeys?: boolean;
  /** Called with every file written. */
  onWrite?: (file: string) => void;
}

/** MONAI's create_file_basename + FolderLayout.filename: where an output for `source` goes. */
export function monaiOutputPath(source: string, o: { outputDir: string; postfix: string; ext: string; dataRootDir?: string; separateFolder: boolean }): string {
  let name = basename(source);
  const dir = dirname(source);
  let m = /(\.[^.]*)$/.exec(name);
  if (m) {
    name = name.slice(0, -m[1].length);
    if (m[1] === '.gz') {
      m = /(\.[^.]*)$/.exec(name);
      if (m) name = name.slice(0, -m[1].length);
    }
  }
  let out = join(o.outputDir, o.dataRootDir && source.includes('/') ? relative(o.dataRootDir, dir) : '');
  if (o.separateFolder) out = join(out, name);
  out = join(out, o.postfix !== '' ? `${name}_${o.postfix}` : name);
  const ext = o.ext && !o.ext.startsWith('.') ? `.${o.ext}` : o.ext;
  return normalize(out) + ext;
}

/** numpy/torch dtype names (`np.uint8`, `torch.float32`, `uint8`) → ours. */
export function dtypeName(v: unknown, what: string): DType {
  const s =
    typeof v === 'string'
      ? v
          .replace(/^(np|numpy|torch)\./, '')
          .replace(/^float$/, 'float64')
          .replace(/^int$/, 'int64')
      : '';
  const known: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];
  if (!known.includes(s as DType)) throw new ClaraError(`${what}: dtype ${JSON.stringify(v)} is not supported; use one of ${known.join(', ')}`);
  return s as DType;
}

export class SaveImaged extends Transform {
  readonly name = 'SaveImaged';
  readonly keys: string[];
  private readonly metaKeys: string[];
  constructor(
    keys: string | string[],
    readonly opts: SaveImagedOptions = {},
  ) {
    super();
    this.keys = keyList(keys, this.name);
    const postfix = opts.metaKeyPostfix ?? 'meta_dict';
    this.metaKeys =
      opts.metaKeys === undefined || opts.metaKeys === null
        ? this.keys.map((k) => `${k}_${postfix}`)
        : perKey(opts.metaKeys, this.keys, '', this.name, 'meta_keys');
  }
  async apply(sample: Sample): Promise<Sample> {
    const o = this.opts;
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i];
      if (!(key in sample) && o.allowMissingKeys) continue;
      const t = getTensor(sample, key, this.name);
      if (t.shape.length !== 4) throw new ClaraError(`SaveImaged: '${key}' must be channel-first [C, i, j, k], got [${t.shape}]`);
      const meta = sample[this.metaKeys[i]] as MetaDict | undefined;
      if (!meta)
        throw new ClaraError(
          `SaveImaged: no '${this.metaKeys[i]}' in the sample (it has ${Object.keys(sample).join(', ')}); name the meta dict with meta_keys`,
        );
      const c = t.shape[0];
      let data = t.data,
        sp = t.shape.slice(1);
      let affine = meta.affine;
      if (o.resample && meta.original_affine && Array.isArray(meta.spatial_shape)) {
        const dst = meta.spatial_shape.slice(0, 3);
        data = await K.resample(
          data,
          c,
          sp as Shape3,
          dst as Shape3,
          voxelXform(meta.affine, meta.original_affine),
          o.mode === 'bilinear' ? 'linear' : 'nearest',
          o.paddingMode ?? 'border',
        );
        sp = dst;
        affine = meta.original_affine;
      }
      // channel-first C order → channels last ([i, j, k, C]); a single channel is squeezed
      const n = sp[0] * sp[1] * sp[2];
      let shape: number[] = [...sp];
      let out: Float32Array = data;
      if (c > 1 || o.squeezeEndDims === false) {
        out = new Float32Array(n * c);
        for (let ch = 0; ch < c; ch++) for (let v = 0; v < n; v++) out[v * c + ch] = data[ch * n + v];
        shape = [...sp, c];
      }
      if (o.squeezeEndDims !== false) while (shape.length > 1 && shape[shape.length - 1] === 1) shape = shape.slice(0, -1);
      const src = typeof meta.filename_or_obj === 'string' && meta.filename_or_obj ? meta.filename_or_obj : `${key}`;
      const file = monaiOutputPath(src, {
        outputDir: resolve(o.outputDir ?? './'),
        postfix: o.outputPostfix ?? 'trans',
        ext: o.outputExt ?? '.nii.gz',
        dataRootDir: o.dataRootDir ? resolve(o.dataRootDir) : undefined,
        separateFolder: o.separateFolder !== false,
      });
      if (!/\.nii(\.gz)?$/.test(file)) throw new ClaraError(`SaveImaged: output_ext '${o.outputExt}' is not written here; use '.nii.gz' or '.nii'`);
      mkdirSync(dirname(file), { recursive: true });
      await writeNifti(file, { data: out, shape, affine }, { dtype: o.outputDtype ?? 'float32' });
      if (o.printLog !== false) process.stderr.write(`file written: ${file}.\n`);
      o.onWrite?.(file);
    }
    return sample;
  }
}
