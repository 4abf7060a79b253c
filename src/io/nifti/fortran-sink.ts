// Decodes NIfTI voxel bytes (Fortran order, file byte order) straight into the final C-order
// typed array, a slab at a time: bytes arrive in chunks of any size (from a file or a gzip
// stream), are gathered into a slab of whole planes of the slowest Fortran axis, byte-swapped
// there if needed, transposed and scattered into the output. Peak memory is the output plus
// two slabs (a few MiB, at most one plane each), never a second copy of the volume.
import type { DType, VoxelArray } from '../volume.js';
import { fortranToC } from './transpose.js';

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

const BPV: Record<DType, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8 };
const SLAB_BYTES = 8 << 20;
const NATIVE_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let a = i, z = i + size - 1; a < z; a++, z--) {
      const t = b[a];
      b[a] = b[z];
      b[z] = t;
    }
  }
}

export class FortranToCSink {
  readonly out: VoxelArray;
  /** Bytes still expected. */
  remaining: number;
  private readonly bpv: number;
  private readonly swap: boolean;
  /** Non-unit axes: head (all but the slowest Fortran axis) and S (the slowest). */
  private readonly head: number[];
  private readonly S: number;
  private readonly P: number;
  private readonly planesPerSlab: number;
  private readonly slab: Uint8Array;
  private readonly tmp: VoxelArray;
  private fill = 0;
  /** First plane (index along S) of the slab being filled. */
  private s0 = 0;
  /** Rank ≤ 1 after dropping unit axes: Fortran order is C order, bytes go straight to out. */
  private readonly direct: boolean;
  private outBytes: Uint8Array;

  constructor(
    readonly dtype: DType,
    shape: readonly number[],
    littleEndian: boolean,
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    this.bpv = BPV[dtype];
    this.out = new CTORS[dtype](n);
    this.outBytes = new Uint8Array(this.out.buffer, this.out.byteOffset, this.out.byteLength);
    this.remaining = n * this.bpv;
    this.swap = littleEndian !== NATIVE_LE && this.bpv > 1;
    const dims = shape.filter((d) => d !== 1);
    this.direct = dims.length <= 1 || n === 0;
    this.S = dims.length ? dims[dims.length - 1] : 1;
    this.head = dims.slice(0, -1);
    this.P = this.head.reduce((a, b) => a * b, 1);
    const planeBytes = this.P * this.bpv;
    this.planesPerSlab = this.direct ? 1 : Math.max(1, Math.min(this.S, Math.floor(SLAB_BYTES / Math.max(1, planeBytes))));
    this.slab = this.direct ? new Uint8Array(0) : new Uint8Array(this.planesPerSlab * planeBytes);
    this.tmp = this.direct ? this.out : new CTORS[dtype](this.planesPerSlab * this.P);
  }

  /** Takes up to `remaining` bytes of `chunk`; returns how many it took. */
  push(chunk: Uint8Array): number {
    const take = Math.min(chunk.length, this.remaining);
    if (take === 0) return 0;
    if (this.direct) {
      const at = this.outBytes.length - this.remaining;
      this.outBytes.set(chunk.subarray(0, take), at);
      this.remaining -= take;
      if (this.remaining === 0 && this.swap) swapBytes(this.outBytes, this.bpv);
      return take;
    }
    let pos = 0;
    while (pos < take) {
      const n = Math.min(take - pos, this.slab.length - this.fill);
      this.slab.set(chunk.subarray(pos, pos + n), this.fill);
      this.fill += n;
      pos += n;
      this.remaining -= n;
      if (this.fill === this.slab.length || this.remaining === 0) this.flushSlab();
    }
    return take;
  }

  get done(): boolean {
    return this.remaining === 0;
  }

  private flushSlab(): void {
    const planeBytes = this.P * this.bpv;
    const planes = Math.floor(this.fill / planeBytes);
    if (planes === 0) return;
    const bytes = this.slab.subarray(0, planes * planeBytes);
    if (this.swap) swapBytes(bytes, this.bpv);
    const src = new CTORS[this.dtype](this.slab.buffer as ArrayBuffer, 0, planes * this.P);
    // Fortran over [head..., planes] → C over [head..., planes]: tmp[c * planes + b].
    const t = this.tmp.subarray(0, planes * this.P) as VoxelArray;
    fortranToC(src, t, [...this.head, planes]);
    const out = this.out,
      S = this.S,
      s0 = this.s0;
    for (let c = 0, o = s0, i = 0; c < this.P; c++, o += S) {
      for (let b = 0; b < planes; b++, i++) out[o + b] = t[i];
    }
    this.s0 += planes;
    const rest = this.fill - planes * planeBytes;
    if (rest > 0) this.slab.copyWithin(0, planes * planeBytes, this.fill);
    this.fill = rest;
  }
}
