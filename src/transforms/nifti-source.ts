// What LoadImaged needs from a NIfTI file: scaled float32 voxels in C order [i, j, k(, t)],
// the affine and pixdim. Until src/io/nifti (readNifti) is merged this reads the file
// with nifti-reader-js; afterwards it delegates to readNifti.
import { readFile } from 'node:fs/promises';
import * as nifti from 'nifti-reader-js';
import { ClaraError } from '../util/errors.js';
import type { Affine } from '../io/volume.js';

export interface LoadedImage {
  data: Float32Array;
  shape: number[];
  affine: Affine;
  pixdim: number[];
}

const CTORS: Record<number, new (b: ArrayBuffer) => ArrayLike<number>> = {
  2: Uint8Array, 4: Int16Array, 8: Int32Array, 16: Float32Array, 64: Float64Array, 256: Int8Array, 512: Uint16Array, 768: Uint32Array,
};

export async function loadNiftiImage(path: string): Promise<LoadedImage> {
  let buf: ArrayBuffer;
  try {
    const b = await readFile(path);
    buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  } catch (e) {
    throw new ClaraError(`cannot read image: ${(e as Error).message}`, { file: path });
  }
  if (nifti.isCompressed(buf)) buf = nifti.decompress(buf) as ArrayBuffer;
  if (!nifti.isNIFTI(buf)) throw new ClaraError('not a NIfTI-1/2 file', { file: path });
  const h = nifti.readHeader(buf);
  if (!h) throw new ClaraError('unreadable NIfTI header', { file: path });
  if (!h.littleEndian) throw new ClaraError('big-endian NIfTI files are not supported', { file: path });
  const Ctor = CTORS[h.datatypeCode];
  if (!Ctor) throw new ClaraError(`NIfTI datatype ${h.datatypeCode} is not supported (expected an integer or float type)`, { file: path });
  const ndim = Math.max(3, h.dims[0]);
  const shape = h.dims.slice(1, ndim + 1).map((d: number) => Math.max(1, d));
  const raw = new Ctor(nifti.readImage(h, buf).slice(0));
  const slope = h.scl_slope && Number.isFinite(h.scl_slope) ? h.scl_slope : 1;
  const inter = h.scl_slope && Number.isFinite(h.scl_inter) ? h.scl_inter : 0;
  const [nx, ny, nz] = shape;
  const nt = shape.slice(3).reduce((a: number, b: number) => a * b, 1);
  const out = new Float32Array(nx * ny * nz * nt);
  // Fortran order (i fastest) → C order (last axis fastest)
  for (let t = 0; t < nt; t++) for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) {
    const f = ((t * nz + k) * ny + j) * nx;
    for (let i = 0; i < nx; i++) out[((i * ny + j) * nz + k) * nt + t] = raw[f + i] * slope + inter;
  }
  const affine = (h.affine as number[][]).map((r) => [...r]);
  return { data: out, shape: nt > 1 ? [nx, ny, nz, ...shape.slice(3)] : [nx, ny, nz], affine, pixdim: h.pixDims.slice(1, 4) };
}
