// Reading a NIfTI file's bytes with every read bounded by what its header says:
//   - only regular files are opened (checked by path before opening, and again on the open
//     descriptor): /dev/zero, a FIFO or a socket in a datalist is an error, not a hang;
//   - the header is parsed and validated first; the volume's size is checked against the
//     memory limit before anything the size of the volume is allocated;
//   - `.nii`: the voxel bytes are read from vox_offset straight into the decoder;
//   - `.nii.gz`: the stream is inflated to its end through the decoder (so every member's
//     CRC-32 and length trailer is checked and a truncated stream is an error), keeping only
//     the header and the voxel bytes; a stream holding more than the header describes (plus
//     TRAILING_SLACK) is stopped and refused, whatever its gzip headers or empty members.
import { closeSync, fstatSync, openSync, readSync, statSync, constants as fsConstants, type Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { totalmem } from 'node:os';
import { createGunzip, gunzipSync, constants as zlibConstants } from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';
import { ClaraError } from '../../util/errors.js';
import {
  DTYPE_BYTES,
  NIFTI1_HEADER_SIZE,
  NIFTI2_HEADER_SIZE,
  dataOffset,
  detectHeader,
  dtypeFromCode,
  headerShape,
  parseHeader,
  type NiftiHeader,
} from './header.js';
import { FortranToCSink } from './fortran-sink.js';
import type { VoxelArray } from '../volume.js';

/** Largest buffer we ever make for one volume. */
const MAX_BYTES = Math.min(bufferConstants.MAX_LENGTH, 2 ** 33);
/** Decompressed bytes allowed after the voxel data of a `.nii.gz` (writers pad a little at most). */
const TRAILING_SLACK = 1 << 20;
/** How far into the compressed stream the NIfTI header must start (gzip header fields, empty members). */
const HEADER_SEARCH_BYTES = 1 << 20;
const READ_CHUNK = 1 << 20;

export interface ReadLimits {
  /** Largest decoded volume (bytes) to accept; default: half the machine's (or cgroup's) memory, at most 8 GiB. */
  maxBytes?: number;
}

interface RawNifti {
  header: NiftiHeader;
  /** The voxels in C order, stored values (unscaled). */
  data: VoxelArray;
  gzip: boolean;
}

function defaultLimit(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const mem = constrained && constrained > 0 && constrained < Number.MAX_SAFE_INTEGER ? Math.min(constrained, totalmem()) : totalmem();
  return Math.min(MAX_BYTES, Math.floor(mem / 2));
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'something other than a file';
}

function ioError(path: string, e: unknown): ClaraError {
  if (e instanceof ClaraError) return e;
  const code = (e as { code?: string }).code;
  const what =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'is a directory, not a NIfTI file'
        : code === 'EACCES'
          ? 'permission denied'
          : (e as Error).message;
  return new ClaraError(`cannot read NIfTI: ${what}`, { file: path });
}

/** Opens `path` for reading when it is a regular file (by path, then by descriptor); returns the fd and size. */
function openRegular(path: string): { fd: number; size: number } {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw ioError(path, e);
  }
  if (!st.isFile()) throw new ClaraError(`cannot read NIfTI: is ${kindOf(st)}, not a regular file`, { file: path });
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw ioError(path, e);
  }
  const fst = fstatSync(fd);
  if (!fst.isFile()) {
    closeSync(fd);
    throw new ClaraError(`cannot read NIfTI: is ${kindOf(fst)}, not a regular file`, { file: path });
  }
  return { fd, size: fst.size };
}

function readAt(fd: number, buf: Uint8Array, pos: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** What the header asks for, checked against the limit before anything that size is allocated. */
function plan(header: NiftiHeader, file: string, limits: ReadLimits): { offset: number; need: number; shape: number[] } {
  const shape = headerShape(header);
  const n = shape.reduce((a, b) => a * b, 1);
  const dtype = dtypeFromCode(header.datatypeCode, file);
  const need = n * DTYPE_BYTES[dtype];
  const offset = dataOffset(header);
  const limit = limits.maxBytes ?? defaultLimit();
  if (need > limit) {
    throw new ClaraError(
      `dims ${shape.join('x')} of ${dtype} need ${need} bytes in memory, over the limit of ${limit} bytes ` +
        `(${limits.maxBytes !== undefined ? 'as set' : "half of this machine's memory"}); nothing was allocated`,
      { file, path: 'header.dim' },
    );
  }
  if (offset > MAX_BYTES) throw new ClaraError(`vox_offset ${offset} is beyond any file this reader accepts`, { file, path: 'header.vox_offset' });
  return { offset, need, shape };
}

function truncated(header: NiftiHeader, file: string, offset: number, need: number, have: number): ClaraError {
  if (offset > have) return new ClaraError(`vox_offset ${offset} is past the end of the file (${have} bytes)`, { file, path: 'header.vox_offset' });
  const shape = headerShape(header);
  return new ClaraError(
    `truncated data: dims ${shape.join('x')} of ${dtypeFromCode(header.datatypeCode, file)} need ${need} bytes from offset ${offset}, the file has ${have - offset}`,
    { file },
  );
}

function sinkFor(header: NiftiHeader, shape: number[], file: string): FortranToCSink {
  try {
    return new FortranToCSink(dtypeFromCode(header.datatypeCode, file), shape, header.littleEndian);
  } catch (e) {
    if (e instanceof RangeError) throw new ClaraError(`cannot allocate the volume (${e.message}); free memory or read a smaller file`, { file });
    throw e;
  }
}

function isGzipMagic(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function gzError(file: string, e: unknown): ClaraError {
  if (e instanceof ClaraError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const hint = /unexpected end/.test(msg)
    ? ': the file is truncated'
    : /incorrect (data|length) check/.test(msg)
      ? ': the data does not match its checksum (the file is corrupt)'
      : '';
  return new ClaraError(`bad gzip data (${msg})${hint}`, { file });
}

function tooMuch(file: string, offset: number, need: number): ClaraError {
  return new ClaraError(
    `the gzip stream holds more than the ${offset + need} bytes its NIfTI header describes (vox_offset ${offset} + ${need} voxel bytes, ` +
      `${TRAILING_SLACK} bytes of slack allowed); refused as a possible decompression bomb`,
    { file },
  );
}

// ---------- uncompressed ----------

function readPlain(fd: number, size: number, file: string, limits: ReadLimits, head: Uint8Array): RawNifti {
  const header = parseHeader(head, file);
  const { offset, need, shape } = plan(header, file, limits);
  if (offset > size || offset + need > size) throw truncated(header, file, offset, need, size);
  const sink = sinkFor(header, shape, file);
  const buf = new Uint8Array(Math.min(READ_CHUNK, Math.max(1, need)));
  let pos = offset;
  while (!sink.done) {
    const want = Math.min(buf.length, sink.remaining);
    const got = readAt(fd, buf.subarray(0, want), pos);
    if (got === 0) throw truncated(header, file, offset, need, pos);
    sink.push(buf.subarray(0, got));
    pos += got;
  }
  return { header, data: sink.out, gzip: false };
}

// ---------- gzip, streaming (async) ----------

/** Feeds decompressed bytes: header first, then skips to vox_offset, then voxels, then counts the tail. */
class GzipNiftiConsumer {
  private head = new Uint8Array(NIFTI2_HEADER_SIZE);
  private headFill = 0;
  header: NiftiHeader | null = null;
  private sink: FortranToCSink | null = null;
  private offset = 0;
  private need = 0;
  /** Decompressed bytes seen so far. */
  total = 0;

  constructor(
    private readonly file: string,
    private readonly limits: ReadLimits,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.header) {
      this.consume(chunk);
      return;
    }
    const n = Math.min(chunk.length, this.head.length - this.headFill);
    this.head.set(chunk.subarray(0, n), this.headFill);
    this.headFill += n;
    if (this.headFill < 4) return;
    const size = detectHeader(this.head.subarray(0, this.headFill), this.file).version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
    if (this.headFill < size) return; // (the head buffer holds a NIfTI-2 header, so nothing is left in chunk)
    this.start(this.head.subarray(0, size));
    this.total = size;
    this.consume(this.head.subarray(size, this.headFill));
    this.consume(chunk.subarray(n));
  }

  private start(headerBytes: Uint8Array): void {
    const header = parseHeader(headerBytes, this.file);
    const { offset, need, shape } = plan(header, this.file, this.limits);
    this.offset = offset;
    this.need = need;
    this.sink = sinkFor(header, shape, this.file);
    this.header = header;
  }

  private consume(b: Uint8Array): void {
    if (b.length === 0) return;
    let pos = 0;
    if (this.total < this.offset) {
      const skip = Math.min(b.length, this.offset - this.total);
      pos += skip;
      this.total += skip;
    }
    if (pos < b.length && this.sink && !this.sink.done) {
      const took = this.sink.push(b.subarray(pos));
      pos += took;
      this.total += took;
    }
    this.total += b.length - pos;
    if (this.total > this.offset + this.need + TRAILING_SLACK) throw tooMuch(this.file, this.offset, this.need);
  }

  finish(): RawNifti {
    if (!this.header) {
      if (this.headFill < 4) throw new ClaraError(`file too short for a NIfTI header (${this.headFill} bytes after gunzip)`, { file: this.file });
      parseHeader(this.head.subarray(0, this.headFill), this.file); // throws: truncated header
      throw new ClaraError('truncated NIfTI header', { file: this.file });
    }
    if (!this.sink!.done) throw truncated(this.header, this.file, this.offset, this.need, this.total);
    return { header: this.header, data: this.sink!.out, gzip: true };
  }
}

function inflateStream(fd: number, file: string, limits: ReadLimits): Promise<RawNifti> {
  const consumer = new GzipNiftiConsumer(file, limits);
  return new Promise<RawNifti>((resolveP, rejectP) => {
    // The stream owns the descriptor from here: it closes it at the end, on error or on destroy().
    const input = createReadStream(file, { fd, autoClose: true, highWaterMark: READ_CHUNK });
    const z = createGunzip({ chunkSize: 256 << 10 });
    let done = false;
    const fail = (e: unknown) => {
      if (done) return;
      done = true;
      input.destroy();
      z.destroy();
      rejectP(gzError(file, e));
    };
    z.on('data', (chunk: Buffer) => {
      if (done) return;
      try {
        consumer.push(chunk);
      } catch (e) {
        fail(e);
      }
    });
    z.on('error', fail);
    input.on('error', (e) => fail(ioError(file, e)));
    z.on('end', () => {
      if (done) return;
      done = true;
      try {
        resolveP(consumer.finish());
      } catch (e) {
        rejectP(gzError(file, e));
      }
    });
    input.pipe(z);
  });
}

/** Reads and decodes a NIfTI file (either compression) with every read bounded by its header. */
export async function readNiftiBounded(path: string, limits: ReadLimits = {}): Promise<RawNifti> {
  const { fd, size } = openRegular(path);
  let head: Uint8Array;
  try {
    head = new Uint8Array(Math.min(size, NIFTI2_HEADER_SIZE + 4));
    readAt(fd, head, 0);
  } catch (e) {
    closeSync(fd);
    throw ioError(path, e);
  }
  if (isGzipMagic(head)) return inflateStream(fd, path, limits);
  try {
    return readPlain(fd, size, path, limits, head);
  } finally {
    closeSync(fd);
  }
}

// ---------- gzip, one shot (sync) ----------

/**
 * The decompressed prefix holding the NIfTI header, inflating growing prefixes of the
 * compressed file (each inflate yields at most ~1032 bytes per input byte) within the first
 * HEADER_SEARCH_BYTES: gzip name fields and empty members cannot hide the header's size.
 */
function gzipHeaderPrefix(raw: Uint8Array, file: string): Uint8Array {
  const step = 16 << 10;
  for (let k = Math.min(step, raw.length); ; k = Math.min(k + step, raw.length)) {
    let out: Buffer;
    try {
      out = gunzipSync(raw.subarray(0, k), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1100 * k + (1 << 16) });
    } catch (e) {
      throw gzError(file, e);
    }
    if (out.length >= NIFTI2_HEADER_SIZE) return out;
    if (out.length >= NIFTI1_HEADER_SIZE && detectHeader(out, file).version === 1) return out;
    if (k === raw.length) {
      // The whole stream gives less than a header: inflate it properly for zlib's verdict (truncated, bad CRC).
      try {
        gunzipSync(raw, { maxOutputLength: 1 << 16 });
      } catch (e) {
        throw gzError(file, e);
      }
      return out;
    }
    if (k >= HEADER_SEARCH_BYTES) {
      throw new ClaraError(`no NIfTI header in the first ${HEADER_SEARCH_BYTES} bytes of the gzip stream`, { file });
    }
  }
}

function readGzipSync(fd: number, size: number, file: string, limits: ReadLimits): RawNifti {
  const limit = limits.maxBytes ?? defaultLimit();
  if (size > limit) throw new ClaraError(`the compressed file (${size} bytes) is over the limit of ${limit} bytes`, { file });
  const raw = new Uint8Array(size);
  readAt(fd, raw, 0);
  const header = parseHeader(gzipHeaderPrefix(raw, file), file);
  const { offset, need, shape } = plan(header, file, limits);
  let all: Buffer;
  try {
    all = gunzipSync(raw, { maxOutputLength: Math.min(bufferConstants.MAX_LENGTH, offset + need + TRAILING_SLACK) });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooMuch(file, offset, need);
    throw gzError(file, e);
  }
  if (all.length < offset + need) throw truncated(header, file, offset, need, all.length);
  const sink = sinkFor(header, shape, file);
  sink.push(all.subarray(offset, offset + need));
  return { header, data: sink.out, gzip: true };
}

/** Synchronous readNiftiBounded (a gzip file is inflated in one piece: about twice the volume's memory). */
export function readNiftiBoundedSync(path: string, limits: ReadLimits = {}): RawNifti {
  const { fd, size } = openRegular(path);
  try {
    const head = new Uint8Array(Math.min(size, NIFTI2_HEADER_SIZE + 4));
    readAt(fd, head, 0);
    if (isGzipMagic(head)) return readGzipSync(fd, size, path, limits);
    return readPlain(fd, size, path, limits, head);
  } finally {
    closeSync(fd);
  }
}

/** Only the header (a gzip file is inflated only as far as the header). */
export function readNiftiHeaderBounded(path: string): NiftiHeader {
  const { fd, size } = openRegular(path);
  try {
    const head = new Uint8Array(Math.min(size, NIFTI2_HEADER_SIZE + 4));
    readAt(fd, head, 0);
    if (!isGzipMagic(head)) return parseHeader(head, path);
    const raw = new Uint8Array(Math.min(size, HEADER_SEARCH_BYTES));
    readAt(fd, raw, 0);
    return parseHeader(gzipHeaderPrefix(raw, path), path);
  } finally {
    closeSync(fd);
  }
}
