// NIfTI-1 and NIfTI-2 headers: parse (either byte order), validate, encode.
// Field layouts follow the NIfTI-1 (348-byte) and NIfTI-2 (540-byte) standards.
import { ClaraError } from '../../util/errors.js';
import type { DType } from '../volume.js';

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  sizeofHdr: number;
  /** dim[0..7] as stored: dim[0] is the number of dimensions. */
  dim: number[];
  /** pixdim[0..7] as stored: pixdim[0] is qfac. */
  pixdim: number[];
  datatypeCode: number;
  bitpix: number;
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  calMax: number;
  calMin: number;
  sliceDuration: number;
  toffset: number;
  sliceStart: number;
  sliceEnd: number;
  sliceCode: number;
  xyztUnits: number;
  intentCode: number;
  intentP: [number, number, number];
  intentName: string;
  dimInfo: number;
  descrip: string;
  auxFile: string;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z. */
  srow: [number[], number[], number[]];
  /** The 4-byte (NIfTI-1) or 8-byte (NIfTI-2) magic as text, NULs stripped. */
  magic: string;
}

export const NIFTI1_HEADER_SIZE = 348;
export const NIFTI2_HEADER_SIZE = 540;

/** NIfTI datatype codes of the supported dtypes. */
export const DTYPE_CODES: Record<DType, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};
const CODE_TO_DTYPE = new Map<number, DType>(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k as DType]));
const KNOWN_UNSUPPORTED: Record<number, string> = {
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'rgb24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};
export const DTYPE_BYTES: Record<DType, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

export function dtypeFromCode(code: number, file: string): DType {
  const d = CODE_TO_DTYPE.get(code);
  if (d) return d;
  const what = KNOWN_UNSUPPORTED[code] ? `${KNOWN_UNSUPPORTED[code]} (code ${code})` : `unknown code ${code}`;
  throw new ClaraError(`unsupported NIfTI datatype ${what}; supported: ${[...CODE_TO_DTYPE].map(([c, n]) => `${n} (${c})`).join(', ')}`, {
    file,
    path: 'header.datatype',
  });
}

/** Largest voxel count we will allocate for (2^31 - 1: a JS typed array index stays an int). */
export const MAX_VOXELS = 2 ** 31 - 1;

function cstr(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString('latin1');
}

/** Which header a buffer starts with, and its byte order; throws a clear error otherwise. */
export function detectHeader(buf: Uint8Array, file: string): { version: 1 | 2; littleEndian: boolean } {
  if (buf.byteLength < 4) throw new ClaraError(`file too short for a NIfTI header (${buf.byteLength} bytes)`, { file });
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const le of [true, false]) {
    const size = dv.getInt32(0, le);
    if (size === NIFTI1_HEADER_SIZE) return { version: 1, littleEndian: le };
    if (size === NIFTI2_HEADER_SIZE) return { version: 2, littleEndian: le };
  }
  throw new ClaraError(`not a NIfTI file: sizeof_hdr is ${dv.getInt32(0, true)} (expected 348 for NIfTI-1 or 540 for NIfTI-2, in either byte order)`, {
    file,
    path: 'header.sizeof_hdr',
  });
}

/** Parses and validates the header at the start of `buf` (the whole file or at least the header). */
export function parseHeader(buf: Uint8Array, file: string): NiftiHeader {
  const { version, littleEndian: le } = detectHeader(buf, file);
  const need = version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (buf.byteLength < need) {
    throw new ClaraError(`truncated NIfTI-${version} header: ${buf.byteLength} bytes, expected ${need}`, { file });
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const i16 = (o: number) => dv.getInt16(o, le);
  const i32 = (o: number) => dv.getInt32(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);
  const f64 = (o: number) => dv.getFloat64(o, le);
  const i64 = (o: number) => {
    const v = dv.getBigInt64(o, le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(-Number.MAX_SAFE_INTEGER)) return v > 0n ? Infinity : -Infinity;
    return Number(v);
  };
  let h: NiftiHeader;
  if (version === 1) {
    h = {
      version,
      littleEndian: le,
      sizeofHdr: i32(0),
      dimInfo: buf[39],
      dim: Array.from({ length: 8 }, (_, i) => i16(40 + 2 * i)),
      intentP: [f32(56), f32(60), f32(64)],
      intentCode: i16(68),
      datatypeCode: i16(70),
      bitpix: i16(72),
      sliceStart: i16(74),
      pixdim: Array.from({ length: 8 }, (_, i) => f32(76 + 4 * i)),
      voxOffset: f32(108),
      sclSlope: f32(112),
      sclInter: f32(116),
      sliceEnd: i16(120),
      sliceCode: buf[122],
      xyztUnits: buf[123],
      calMax: f32(124),
      calMin: f32(128),
      sliceDuration: f32(132),
      toffset: f32(136),
      descrip: cstr(buf, 148, 80),
      auxFile: cstr(buf, 228, 24),
      qformCode: i16(252),
      sformCode: i16(254),
      quatern: [f32(256), f32(260), f32(264)],
      qoffset: [f32(268), f32(272), f32(276)],
      srow: [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f32(280 + 16 * r + 4 * c))) as [number[], number[], number[]],
      intentName: cstr(buf, 328, 16),
      magic: cstr(buf, 344, 4),
    };
    if (h.magic !== 'n+1') {
      const hint = h.magic === 'ni1' ? ' (ni1 is a .hdr/.img pair; only single-file .nii is supported)' : '';
      throw new ClaraError(`bad NIfTI-1 magic ${JSON.stringify(h.magic)}, expected "n+1"${hint}`, { file, path: 'header.magic' });
    }
  } else {
    h = {
      version,
      littleEndian: le,
      sizeofHdr: i32(0),
      magic: cstr(buf, 4, 8),
      datatypeCode: i16(12),
      bitpix: i16(14),
      dim: Array.from({ length: 8 }, (_, i) => i64(16 + 8 * i)),
      intentP: [f64(80), f64(88), f64(96)],
      pixdim: Array.from({ length: 8 }, (_, i) => f64(104 + 8 * i)),
      voxOffset: i64(168),
      sclSlope: f64(176),
      sclInter: f64(184),
      calMax: f64(192),
      calMin: f64(200),
      sliceDuration: f64(208),
      toffset: f64(216),
      sliceStart: i64(224),
      sliceEnd: i64(232),
      descrip: cstr(buf, 240, 80),
      auxFile: cstr(buf, 320, 24),
      qformCode: i32(344),
      sformCode: i32(348),
      quatern: [f64(352), f64(360), f64(368)],
      qoffset: [f64(376), f64(384), f64(392)],
      srow: [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f64(400 + 32 * r + 8 * c))) as [number[], number[], number[]],
      sliceCode: i32(496),
      xyztUnits: i32(500),
      intentCode: i32(504),
      intentName: cstr(buf, 508, 16),
      dimInfo: buf[524],
    };
    const m = buf.subarray(4, 12);
    const ok = [0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => m[i] === b);
    if (!ok) {
      const hint = h.magic === 'ni2' ? ' (ni2 is a .hdr/.img pair; only single-file .nii is supported)' : '';
      throw new ClaraError(`bad NIfTI-2 magic ${JSON.stringify(h.magic)}, expected "n+2\\0\\r\\n\\x1a\\n"${hint}`, { file, path: 'header.magic' });
    }
  }
  validateHeader(h, file);
  return h;
}

function validateHeader(h: NiftiHeader, file: string): void {
  const ndim = h.dim[0];
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) {
    throw new ClaraError(`dim[0] (number of dimensions) is ${ndim}, expected 1..7`, { file, path: 'header.dim[0]' });
  }
  let n = 1;
  for (let i = 1; i <= ndim; i++) {
    const d = h.dim[i];
    if (!Number.isFinite(d) || d < 0) {
      throw new ClaraError(`dim[${i}] is ${d}, expected a non-negative size`, { file, path: `header.dim[${i}]` });
    }
    if (d === 0) {
      throw new ClaraError(`dim[${i}] is 0: the volume would hold no voxels (each of dim[1..${ndim}] must be at least 1)`, { file, path: `header.dim[${i}]` });
    }
    if (d > MAX_VOXELS) {
      throw new ClaraError(`dim[${i}] is ${d}, over the limit of ${MAX_VOXELS} voxels`, { file, path: `header.dim[${i}]` });
    }
    n *= d;
  }
  if (n > MAX_VOXELS) {
    throw new ClaraError(`dims ${h.dim.slice(1, ndim + 1).join('x')} hold ${n} voxels, over the limit of ${MAX_VOXELS}`, { file, path: 'header.dim' });
  }
  dtypeFromCode(h.datatypeCode, file); // bitpix is not checked: nibabel trusts datatype, and writers leave bitpix stale
  const minOffset = h.version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (!Number.isFinite(h.voxOffset) || h.voxOffset < 0) {
    throw new ClaraError(`vox_offset is ${h.voxOffset}, expected a non-negative byte offset`, { file, path: 'header.vox_offset' });
  }
  // 0 too: a single .nii holds its data after the header (nibabel would read the header itself as voxels).
  if (h.voxOffset < minOffset) {
    throw new ClaraError(`vox_offset ${h.voxOffset} lies inside the ${minOffset}-byte header`, { file, path: 'header.vox_offset' });
  }
  // nibabel: a single-file NIfTI's data starts after the 4 extension-flag bytes at the earliest.
  if (h.voxOffset < minOffset + 4) {
    throw new ClaraError(
      `vox_offset ${h.voxOffset} lies inside the 4 extension-flag bytes after the header (at least ${minOffset + 4} for a single .nii file)`,
      { file, path: 'header.vox_offset' },
    );
  }
}

/** Logical shape dim[1..dim[0]]. */
export function headerShape(h: NiftiHeader): number[] {
  return h.dim.slice(1, h.dim[0] + 1);
}

/** Byte offset of the voxel data (vox_offset, or the header size rounded up to 16 when 0, as nibabel reads). */
export function dataOffset(h: NiftiHeader): number {
  if (h.voxOffset !== 0) return Math.floor(h.voxOffset);
  return h.version === 1 ? 352 : 544;
}
