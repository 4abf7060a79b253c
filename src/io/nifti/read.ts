// Reading NIfTI-1/NIfTI-2 `.nii` and `.nii.gz` files into C-order volumes.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createGunzip, gunzipSync, constants as zlibConstants } from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';
import { ClaraError } from '../../util/errors.js';
import type { Affine, DType, Volume, VoxelArray } from '../volume.js';
import {
  DTYPE_BYTES, NIFTI1_HEADER_SIZE, NIFTI2_HEADER_SIZE, dataOffset, detectHeader, dtypeFromCode, headerShape, parseHeader, type NiftiHeader,
} from './header.js';
import { bestAffine, type AffineSource } from './affine.js';
import { fortranToC } from './transpose.js';

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
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, int32: Int32Array, float32: Float32Array, float64: Float64Array,
} as const;

export function typedArrayFor(dtype: DType, n: number): VoxelArray {
  return new CTORS[dtype](n);
}

const GZIP_MAGIC = [0x1f, 0x8b];
function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
}

function gzError(file: string, e: unknown): ClaraError {
  const msg = e instanceof Error ? e.message : String(e);
  return new ClaraError(`bad gzip data (${msg})`, { file });
}

const MAX_BYTES = Math.min(bufferConstants.MAX_LENGTH, 2 ** 33);

/** Decodes a whole NIfTI file's bytes (already gunzipped). */
export function decodeNifti(bytes: Uint8Array, file: string): NiftiImage {
  const header = parseHeader(bytes, file);
  const dtype = dtypeFromCode(header.datatypeCode, file);
  const shape = headerShape(header);
  const n = shape.reduce((a, b) => a * b, 1);
  const bpv = DTYPE_BYTES[dtype];
  const offset = dataOffset(header);
  if (offset > bytes.byteLength) {
    throw new ClaraError(`vox_offset ${offset} is past the end of the file (${bytes.byteLength} bytes)`, { file, path: 'header.vox_offset' });
  }
  const need = n * bpv;
  if (offset + need > bytes.byteLength) {
    throw new ClaraError(
      `truncated data: dims ${shape.join('x')} of ${dtype} need ${need} bytes from offset ${offset}, the file has ${bytes.byteLength - offset}`,
      { file },
    );
  }
  // Stored values in Fortran order, native byte order.
  const Ctor = CTORS[dtype];
  let fortran: VoxelArray;
  const nativeLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const abs = bytes.byteOffset + offset;
  if (header.littleEndian === nativeLE && abs % bpv === 0) {
    fortran = new Ctor(bytes.buffer as ArrayBuffer, abs, n);
  } else {
    const copy = new Uint8Array(need);
    copy.set(bytes.subarray(offset, offset + need));
    if (header.littleEndian !== nativeLE && bpv > 1) swapBytes(copy, bpv);
    fortran = new Ctor(copy.buffer, 0, n);
  }
  const data = fortranToC(fortran, typedArrayFor(dtype, n), shape);
  const { affine, source } = bestAffine(header, file);
  // nibabel: no scaling when slope is 0 or not finite; a finite slope with a non-finite inter is an error.
  let slope = header.sclSlope, inter = header.sclInter;
  if (slope === 0 || !Number.isFinite(slope)) { slope = 1; inter = 0; }
  else if (!Number.isFinite(inter)) {
    throw new ClaraError(`scl_slope ${slope} is valid but scl_inter is ${inter}`, { file, path: 'header.scl_inter' });
  }
  const isScaled = slope !== 1 || inter !== 0;
  return {
    header, shape, dtype, data, affine, affineSource: source,
    pixdim: header.pixdim.slice(1, shape.length + 1),
    sclSlope: slope, sclInter: inter, isScaled,
    scaled(): Float32Array {
      const out = new Float32Array(n);
      if (!isScaled) { out.set(data); return out; }
      for (let i = 0; i < n; i++) out[i] = data[i] * slope + inter;
      return out;
    },
    scaled64(): Float64Array {
      const out = new Float64Array(n);
      if (!isScaled) { out.set(data); return out; }
      for (let i = 0; i < n; i++) out[i] = data[i] * slope + inter;
      return out;
    },
  };
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let a = i, z = i + size - 1; a < z; a++, z--) { const t = b[a]; b[a] = b[z]; b[z] = t; }
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try { raw = await readFile(path); } catch (e) { throw ioError(path, e); }
  if (!isGzip(raw)) return raw;
  return gunzipBounded(raw, path);
}

/**
 * Gunzips only as much as the header says the file holds: the header comes from a prefix,
 * its dims are validated (and capped) first, then the stream is inflated into one buffer of
 * exactly vox_offset + data bytes and stopped there (no inflating past what is needed).
 */
async function gunzipBounded(raw: Buffer, file: string): Promise<Uint8Array> {
  let head: Buffer;
  try {
    head = gunzipSync(raw.subarray(0, Math.min(raw.length, 1 << 16)), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (e) { throw gzError(file, e); }
  if (head.length < 4) return gunzipWhole(raw, file);
  const { version } = detectHeader(head, file);
  if (head.length < (version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE)) return gunzipWhole(raw, file);
  const h = parseHeader(head, file);
  const n = headerShape(h).reduce((a, b) => a * b, 1);
  const need = dataOffset(h) + n * DTYPE_BYTES[dtypeFromCode(h.datatypeCode, file)];
  if (need > MAX_BYTES) throw new ClaraError(`the header asks for ${need} bytes, over the ${MAX_BYTES}-byte limit`, { file, path: 'header.dim' });
  // Chunks are kept until `need` bytes arrived: a header that lies about its dims costs
  // no more memory than the stream really holds.
  const chunks: Buffer[] = [];
  let got = 0;
  await new Promise<void>((resolveP, rejectP) => {
    const z = createGunzip();
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (err) rejectP(gzError(file, err)); else resolveP();
    };
    z.on('data', (chunk: Buffer) => {
      if (done) return;
      chunks.push(chunk);
      got += chunk.length;
      if (got >= need) { finish(); z.destroy(); }
    });
    z.on('error', (e) => finish(e));
    z.on('end', () => finish());
    z.end(raw);
  });
  // A short stream is reported by decodeNifti as truncated data / vox_offset past the end.
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, Math.min(got, need));
}

function gunzipWhole(raw: Buffer, file: string): Uint8Array {
  try { return gunzipSync(raw, { maxOutputLength: MAX_BYTES }); } catch (e) { throw gzError(file, e); }
}

function readBytesSync(path: string): Uint8Array {
  let raw: Buffer;
  try { raw = readFileSync(path); } catch (e) { throw ioError(path, e); }
  if (!isGzip(raw)) return raw;
  try { return gunzipSync(raw, { maxOutputLength: MAX_BYTES }); } catch (e) { throw gzError(path, e); }
}

function ioError(path: string, e: unknown): ClaraError {
  const code = (e as { code?: string }).code;
  const what = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a NIfTI file' : (e as Error).message;
  return new ClaraError(`cannot read NIfTI: ${what}`, { file: path });
}

/** Reads a `.nii` or `.nii.gz` (gzip is detected from the bytes, not the name). */
export async function readNifti(path: string): Promise<NiftiImage> {
  return decodeNifti(await readBytes(path), path);
}

export function readNiftiSync(path: string): NiftiImage {
  return decodeNifti(readBytesSync(path), path);
}

/** Reads only the header (the whole file is still gunzipped for .nii.gz). */
export async function readNiftiHeader(path: string): Promise<NiftiHeader> {
  return parseHeader(await readBytes(path), path);
}
