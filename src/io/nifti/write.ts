// Writing NIfTI `.nii` / `.nii.gz`: sform and qform both set, written atomically.
import { gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { writeFileAtomic, writeFileAtomicAsync } from '../../util/atomic-fs.js';
import { ClaraError } from '../../util/errors.js';
import { dtypeOf, type DType, type Volume, type VoxelArray } from '../volume.js';
import { DTYPE_BYTES, DTYPE_CODES, NIFTI1_HEADER_SIZE, NIFTI2_HEADER_SIZE } from './header.js';
import { affineToQform } from './affine.js';
import { cToFortran } from './transpose.js';
import { typedArrayFor } from './read.js';

const gzipAsync = promisify(gzip);

export interface WriteNiftiOptions {
  /** Stored dtype; default: the dtype of `volume.data`. Integer targets round and range-check. */
  dtype?: DType;
  /** descrip (at most 79 characters are kept). */
  description?: string;
  /** sform_code / qform_code: default 1 (scanner), as MONAI and ITK write; nibabel's own default is 2 (aligned). */
  sformCode?: number;
  qformCode?: number;
  /** scl_slope / scl_inter stored as given (the data is written unscaled); default 1 / 0. */
  sclSlope?: number;
  sclInter?: number;
  /** Byte order of the file; default little-endian. */
  littleEndian?: boolean;
  /** NIfTI version; default 1 (2 for dims over 32767 must be asked for). */
  version?: 1 | 2;
  /** gzip level for `.gz` paths (default 6). */
  gzipLevel?: number;
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

/** Converts values to `dtype`: floats as IEEE casts, integers rounded (half away from zero) and range-checked. */
export function convertDType(src: VoxelArray, dtype: DType, file = '<volume>'): VoxelArray {
  if (dtypeOf(src) === dtype) return src;
  const out = typedArrayFor(dtype, src.length);
  const range = INT_RANGE[dtype];
  if (!range) {
    out.set(src);
    return out;
  }
  const [lo, hi] = range;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    const r = v < 0 ? -Math.round(-v) : Math.round(v);
    if (!(r >= lo && r <= hi)) {
      throw new ClaraError(`value ${v} at index ${i} does not fit ${dtype} [${lo}, ${hi}]`, { file, path: 'dtype' });
    }
    out[i] = r;
  }
  return out;
}

/** The bytes of a NIfTI file (uncompressed) for `volume`. */
export function encodeNifti(volume: Volume, opts: WriteNiftiOptions = {}, file = '<volume>'): Uint8Array {
  const { shape, affine } = volume;
  const version = opts.version ?? 1;
  const le = opts.littleEndian ?? true;
  const ndim = shape.length;
  if (ndim < 1 || ndim > 7) throw new ClaraError(`shape ${JSON.stringify(shape)} has ${ndim} axes, NIfTI allows 1..7`, { file, path: 'shape' });
  const n = shape.reduce((a, b) => a * b, 1);
  for (const [i, d] of shape.entries()) {
    if (!Number.isInteger(d) || d < 0) throw new ClaraError(`shape[${i}] is ${d}, expected a non-negative integer`, { file, path: `shape[${i}]` });
    if (version === 1 && d > 32767)
      throw new ClaraError(`shape[${i}] = ${d} exceeds NIfTI-1's 32767; write NIfTI-2 (version: 2)`, { file, path: `shape[${i}]` });
  }
  if (volume.data.length !== n) {
    throw new ClaraError(`data has ${volume.data.length} values, shape ${shape.join('x')} needs ${n}`, { file, path: 'data' });
  }
  if (!Array.isArray(affine) || affine.length < 3 || affine.slice(0, 3).some((r) => r.length !== 4 || r.some((v) => !Number.isFinite(v)))) {
    throw new ClaraError('affine must be a 4x4 (or 3x4) matrix of finite numbers', { file, path: 'affine' });
  }
  const dtype = opts.dtype ?? dtypeOf(volume.data);
  if (!(dtype in DTYPE_CODES)) throw new ClaraError(`unsupported dtype ${dtype}; supported: ${Object.keys(DTYPE_CODES).join(', ')}`, { file, path: 'dtype' });
  const values = convertDType(volume.data, dtype, file);
  const bpv = DTYPE_BYTES[dtype];
  const hsize = version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  const offset = version === 1 ? 352 : 544;
  const out = new Uint8Array(offset + n * bpv);
  const dv = new DataView(out.buffer);
  const q = affineToQform(affine);
  const pixdim = [q.qfac, ...q.zooms, 1, 1, 1, 1];
  const dims = [ndim, ...shape, ...new Array(7 - ndim).fill(1)];
  const xyzt = ndim >= 4 ? 2 | 8 : 2; // mm (+ sec)
  const sform = opts.sformCode ?? 1,
    qform = opts.qformCode ?? 1;
  const slope = opts.sclSlope ?? 1,
    inter = opts.sclInter ?? 0;
  const descrip = Buffer.from((opts.description ?? '').slice(0, 79), 'latin1');
  if (version === 1) {
    dv.setInt32(0, hsize, le);
    out[38] = 'r'.charCodeAt(0);
    dims.forEach((d, i) => dv.setInt16(40 + 2 * i, d, le));
    dv.setInt16(70, DTYPE_CODES[dtype], le);
    dv.setInt16(72, bpv * 8, le);
    pixdim.forEach((p, i) => dv.setFloat32(76 + 4 * i, p, le));
    dv.setFloat32(108, offset, le);
    dv.setFloat32(112, slope, le);
    dv.setFloat32(116, inter, le);
    out[123] = xyzt;
    out.set(descrip, 148);
    dv.setInt16(252, qform, le);
    dv.setInt16(254, sform, le);
    q.quatern.forEach((v, i) => dv.setFloat32(256 + 4 * i, v, le));
    q.qoffset.forEach((v, i) => dv.setFloat32(268 + 4 * i, v, le));
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) dv.setFloat32(280 + 16 * r + 4 * c, affine[r][c], le);
    out.set([0x6e, 0x2b, 0x31, 0x00], 344);
  } else {
    dv.setInt32(0, hsize, le);
    out.set([0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a], 4);
    dv.setInt16(12, DTYPE_CODES[dtype], le);
    dv.setInt16(14, bpv * 8, le);
    dims.forEach((d, i) => dv.setBigInt64(16 + 8 * i, BigInt(d), le));
    pixdim.forEach((p, i) => dv.setFloat64(104 + 8 * i, p, le));
    dv.setBigInt64(168, BigInt(offset), le);
    dv.setFloat64(176, slope, le);
    dv.setFloat64(184, inter, le);
    out.set(descrip, 240);
    dv.setInt32(344, qform, le);
    dv.setInt32(348, sform, le);
    q.quatern.forEach((v, i) => dv.setFloat64(352 + 8 * i, v, le));
    q.qoffset.forEach((v, i) => dv.setFloat64(376 + 8 * i, v, le));
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) dv.setFloat64(400 + 32 * r + 8 * c, affine[r][c], le);
    dv.setInt32(500, xyzt, le);
  }
  // Voxels: C order → Fortran order, then into the file's byte order.
  const fortran = cToFortran(values, typedArrayFor(dtype, n), shape);
  const bytes = new Uint8Array(fortran.buffer, fortran.byteOffset, fortran.byteLength);
  out.set(bytes, offset);
  const nativeLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (le !== nativeLE && bpv > 1) {
    for (let i = offset; i < out.length; i += bpv) {
      for (let a = i, z = i + bpv - 1; a < z; a++, z--) {
        const t = out[a];
        out[a] = out[z];
        out[z] = t;
      }
    }
  }
  return out;
}

const isGz = (p: string) => p.toLowerCase().endsWith('.gz');

/** Writes `volume` to `path` (.nii or .nii.gz) atomically (util/atomic-fs). */
export async function writeNifti(path: string, volume: Volume, opts: WriteNiftiOptions = {}): Promise<void> {
  let bytes: Uint8Array = encodeNifti(volume, opts, path);
  if (isGz(path)) bytes = await gzipAsync(bytes, { level: opts.gzipLevel ?? 6 });
  await writeFileAtomicAsync(path, bytes, 'NIfTI');
}

export function writeNiftiSync(path: string, volume: Volume, opts: WriteNiftiOptions = {}): void {
  let bytes: Uint8Array = encodeNifti(volume, opts, path);
  if (isGz(path)) bytes = gzipSync(bytes, { level: opts.gzipLevel ?? 6 });
  writeFileAtomic(path, bytes, 'NIfTI');
}
