// Reading NIfTI-1/NIfTI-2 `.nii` and `.nii.gz` files into C-order volumes.
import { ClaraError } from '../../util/errors.js';
import type { Affine, DType, Volume, VoxelArray } from '../volume.js';
import { DTYPE_BYTES, dataOffset, dtypeFromCode, headerShape, parseHeader, type NiftiHeader } from './header.js';
import { bestAffine, type AffineSource } from './affine.js';
import { FortranToCSink } from './fortran-sink.js';
import { readNiftiBounded, readNiftiBoundedSync, readNiftiHeaderBounded, type ReadLimits } from './bounded-read.js';

export type { ReadLimits };

export interface NiftiImage extends Volume {
  header: NiftiHeader;
  /** Logical [i, j, k, ...] shape; `data` is in C order over it. */
  shape: number[];
  dtype: DType;
  /** Stored (unscaled) values, C order. */
  data: VoxelArray;
  affine: Affine;
  affineSource: AffineSource;
  /** pixdim[1..ndim] (voxel sizes, then time step etc.). */
  pixdim: number[];
  /** Effective scaling as nibabel applies it: slope 1 / inter 0 when the header disables scaling. */
  sclSlope: number;
  sclInter: number;
  /** True when scaling changes values (slope != 1 or inter != 0). */
  isScaled: boolean;
  /** data * slope + inter, computed in float64 and rounded once to float32. */
  scaled(): Float32Array;
  /** data * slope + inter in float64 (exact for float64 input without scaling). */
  scaled64(): Float64Array;
}

const CTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function typedArrayFor(dtype: DType, n: number): VoxelArray {
  return new CTORS[dtype](n);
}

/** Decodes a whole NIfTI file's bytes (already gunzipped). */
export function decodeNifti(bytes: Uint8Array, file: string): NiftiImage {
  const header = parseHeader(bytes, file);
  const dtype = dtypeFromCode(header.datatypeCode, file);
  const shape = headerShape(header);
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = dataOffset(header);
  if (offset > bytes.byteLength) {
    throw new ClaraError(`vox_offset ${offset} is past the end of the file (${bytes.byteLength} bytes)`, { file, path: 'header.vox_offset' });
  }
  const need = n * DTYPE_BYTES[dtype];
  if (offset + need > bytes.byteLength) {
    throw new ClaraError(
      `truncated data: dims ${shape.join('x')} of ${dtype} need ${need} bytes from offset ${offset}, the file has ${bytes.byteLength - offset}`,
      { file },
    );
  }
  const sink = new FortranToCSink(dtype, shape, header.littleEndian);
  sink.push(bytes.subarray(offset, offset + need));
  return niftiImage(header, sink.out, file);
}

/** The image for a parsed header and its voxels (stored values, C order). */
function niftiImage(header: NiftiHeader, data: VoxelArray, file: string): NiftiImage {
  const dtype = dtypeFromCode(header.datatypeCode, file);
  const shape = headerShape(header);
  const n = data.length;
  const { affine, source } = bestAffine(header, file);
  // nibabel: no scaling when slope is 0 or not finite; a finite slope with a non-finite inter is an error.
  let slope = header.sclSlope,
    inter = header.sclInter;
  if (slope === 0 || !Number.isFinite(slope)) {
    slope = 1;
    inter = 0;
  } else if (!Number.isFinite(inter)) {
    throw new ClaraError(`scl_slope ${slope} is valid but scl_inter is ${inter}`, { file, path: 'header.scl_inter' });
  }
  const isScaled = slope !== 1 || inter !== 0;
  return {
    header,
    shape,
    dtype,
    data,
    affine,
    affineSource: source,
    pixdim: header.pixdim.slice(1, shape.length + 1),
    sclSlope: slope,
    sclInter: inter,
    isScaled,
    scaled(): Float32Array {
      const out = new Float32Array(n);
      if (!isScaled) {
        out.set(data);
        return out;
      }
      for (let i = 0; i < n; i++) out[i] = data[i] * slope + inter;
      return out;
    },
    scaled64(): Float64Array {
      const out = new Float64Array(n);
      if (!isScaled) {
        out.set(data);
        return out;
      }
      for (let i = 0; i < n; i++) out[i] = data[i] * slope + inter;
      return out;
    },
  };
}

/**
 * Reads a `.nii` or `.nii.gz` (gzip is detected from the bytes, not the name), bounded by its
 * header (see bounded-read.ts): regular files only, gzip trailers verified, memory checked first.
 */
export async function readNifti(path: string, limits?: ReadLimits): Promise<NiftiImage> {
  const r = await readNiftiBounded(path, limits);
  return niftiImage(r.header, r.data, path);
}

/**
 * readNifti without awaiting. A .nii.gz is inflated in one piece here, about twice the
 * volume's memory, so the product's reading paths (training, evaluation, inference, report)
 * all use the async readNifti, which decodes into the final array (about 1x).
 */
export function readNiftiSync(path: string, limits?: ReadLimits): NiftiImage {
  const r = readNiftiBoundedSync(path, limits);
  return niftiImage(r.header, r.data, path);
}

/** Reads only the header (a .nii.gz is inflated only as far as the header). */
export async function readNiftiHeader(path: string): Promise<NiftiHeader> {
  return readNiftiHeaderBounded(path);
}
