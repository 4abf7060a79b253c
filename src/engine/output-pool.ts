// A pool of the float32 output arrays of the engine's native kernels on tfjs's 'cpu' backend.
// A fresh Float32Array costs a zeroing pass over memory the process may not have touched yet
// (page faults) and external memory that V8 must collect; a training step makes the same
// shapes every step, so a disposed output's array serves the next output of its length.
//
// Why reusing an array is safe with tfjs's sharing. tfjs's cpu backend keeps a tensor's values
// as the very array it was given (write / makeTensorInfo / move) and hands that array out
// without a copy (readSync, which dataSync() / data() / arraySync() use). So an array may be
// reused only when nothing but its one tensor can still see it. The pool therefore only ever
// recycles arrays it handed out itself, and only when all of these hold:
//   1. it entered the backend exactly once, as itself: a second write of it, or a write of any
//      other view on its ArrayBuffer (a zero-copy slice, a tensor made from it), marks it shared;
//   2. its values were never read out through readSync / read (what dataSync() and data()
//      return is the array itself: the caller may keep that view forever), which marks it
//      escaped;
//   3. the backend really freed its data: tfjs counts references (reshape, clone, identity share
//      one dataId), and an array is released only when disposeData removes the entry.
// A shared or escaped array is simply left to the garbage collector, as without the pool.
// Arrays a user or tfjs created are never taken (they are not the pool's). Kernels that get a
// recycled array must write every element (outputF32) or ask for a zeroed one (zeroed = true).
// CLARA_OUTPUT_POOL_MB caps the bytes held (default 1024; 0 turns the pool off); over the cap the
// longest-unused arrays are dropped first.
import type { TensorInfo } from '@tensorflow/tfjs';

/** What the pool hooks on tfjs's MathBackendCPU (the methods through which values enter and leave). */
export interface PoolableBackend {
  data: { get(dataId: unknown): { values?: unknown } | undefined; has(dataId: unknown): boolean };
  write(values: unknown, shape: number[], dtype: string): unknown;
  move(dataId: unknown, values: unknown, shape: number[], dtype: string, refCount: number): void;
  readSync(dataId: unknown): unknown;
  read(dataId: unknown): Promise<unknown>;
  disposeData(dataId: unknown, force?: boolean): boolean;
  /** How many tensors share the dataId (tfjs counts reshapes, clones, identities, variables). */
  refCount(dataId: unknown): number;
}

/** Arrays smaller than this (elements) are not pooled: V8 allocates them cheaply. */
const MIN_POOLED = 4096;

interface Owned {
  arr: Float32Array;
  /** Times the array (or a view on its buffer) entered the backend. */
  writes: number;
  /** Seen outside its one tensor: never recycled. */
  escaped: boolean;
}

const owned = new WeakMap<ArrayBufferLike, Owned>();
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;
let capBytes = 0;
let installed: { be: PoolableBackend; saved: Record<string, unknown> } | null = null;

/** Counters (cumulative; tests and the step profile read them). */
export const outputPoolStats = { hits: 0, misses: 0, released: 0, escaped: 0, evicted: 0 };

function poolCapBytes(env: NodeJS.ProcessEnv): number {
  const raw = env.CLARA_OUTPUT_POOL_MB;
  if (raw === undefined || raw === '') return 1024 * 2 ** 20;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb < 0) throw new Error(`CLARA_OUTPUT_POOL_MB: expected a number of MiB >= 0, got '${raw}'`);
  return mb * 2 ** 20;
}

function mark(values: unknown): void {
  if (!ArrayBuffer.isView(values)) return;
  const st = owned.get(values.buffer);
  if (!st) return;
  st.writes++;
  if (st.writes > 1 || values !== st.arr) st.escaped = true;
}

function escape(values: unknown): void {
  if (!ArrayBuffer.isView(values)) return;
  const st = owned.get(values.buffer);
  if (st && !st.escaped) {
    st.escaped = true;
    outputPoolStats.escaped++;
  }
}

function release(values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  const st = owned.get(values.buffer);
  if (!st || st.arr !== values || st.escaped || st.writes !== 1) return;
  owned.delete(values.buffer);
  if (values.length < MIN_POOLED || values.byteLength > capBytes) return;
  // over the cap, the longest-unused arrays go first (a length that stopped recurring, e.g. a
  // validation volume of another size, does not hold the pool forever)
  while (freeBytes + values.byteLength > capBytes && free.size) evictOldest();
  const list = free.get(values.length) ?? [];
  free.delete(values.length);
  list.push(values);
  free.set(values.length, list);
  freeBytes += values.byteLength;
  outputPoolStats.released++;
}

function evictOldest(): void {
  // Map iteration follows insertion: re-inserting a length on each release keeps the
  // least recently released length first
  for (const [len, list] of free) {
    const a = list.shift();
    if (!list.length) free.delete(len);
    if (a) {
      freeBytes -= a.byteLength;
      outputPoolStats.evicted++;
      return;
    }
  }
}

/**
 * A float32 output array of n elements for a kernel on the hooked backend: a recycled one when
 * the pool has one of that length (its old contents: the kernel must write every element unless
 * it asks for `zeroed`), otherwise a fresh one.
 */
export function outputF32(n: number, zeroed = false): Float32Array {
  if (!installed) return new Float32Array(n);
  if (n < MIN_POOLED) {
    // not pooled, but followed like the others (exclusiveArray needs to know who saw it)
    const small = new Float32Array(n);
    owned.set(small.buffer, { arr: small, writes: 0, escaped: false });
    return small;
  }
  const list = free.get(n);
  let arr = list?.pop();
  if (list && !list.length) free.delete(n);
  if (arr) {
    freeBytes -= arr.byteLength;
    outputPoolStats.hits++;
    if (zeroed) arr.fill(0);
  } else {
    arr = new Float32Array(n);
    outputPoolStats.misses++;
  }
  owned.set(arr.buffer, { arr, writes: 0, escaped: false });
  return arr;
}

/** Hooks the backend's write / move / readSync / read / disposeData (idempotent); false when the pool is off. */
export function installOutputPool(be: PoolableBackend, env: NodeJS.ProcessEnv = process.env): boolean {
  if (installed) return true;
  capBytes = poolCapBytes(env);
  if (capBytes === 0) return false;
  const orig = { write: be.write, move: be.move, readSync: be.readSync, read: be.read, disposeData: be.disposeData };
  const saved: Record<string, unknown> = {};
  for (const k of Object.keys(orig)) saved[k] = Object.prototype.hasOwnProperty.call(be, k) ? (be as unknown as Record<string, unknown>)[k] : undefined;
  be.write = function (values, shape, dtype) {
    mark(values);
    return orig.write.call(this, values, shape, dtype);
  };
  be.move = function (dataId, values, shape, dtype, refCount) {
    mark(values);
    orig.move.call(this, dataId, values, shape, dtype, refCount);
  };
  be.readSync = function (dataId) {
    escape(this.data.get(dataId)?.values);
    return orig.readSync.call(this, dataId);
  };
  be.read = function (dataId) {
    escape(this.data.get(dataId)?.values);
    return orig.read.call(this, dataId);
  };
  be.disposeData = function (dataId, force) {
    const values = this.data.get(dataId)?.values;
    const r = orig.disposeData.call(this, dataId, force);
    if (values !== undefined && !this.data.has(dataId)) release(values);
    return r;
  };
  installed = { be, saved };
  return true;
}

/** Restores the backend's own methods and drops the pooled arrays. */
export function uninstallOutputPool(): void {
  if (!installed) return;
  const { be, saved } = installed;
  const rec = be as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete rec[k];
    else rec[k] = v;
  }
  installed = null;
  free.clear();
  freeBytes = 0;
}

/**
 * The array behind t when nothing but t can see it, so that a kernel may update it in place:
 * the pool handed it out, it entered the backend once as itself, its values were never read out
 * (dataSync / data), and t's dataId is the only reference to it. Undefined otherwise (and
 * whenever the pool is off).
 */
export function exclusiveArray(t: TensorInfo): Float32Array | undefined {
  if (!installed) return undefined;
  const values = installed.be.data.get(t.dataId)?.values;
  if (!(values instanceof Float32Array)) return undefined;
  const st = owned.get(values.buffer);
  if (!st || st.arr !== values || st.escaped || st.writes !== 1) return undefined;
  return installed.be.refCount(t.dataId) === 1 ? values : undefined;
}

/** The array behind a tensor on the hooked backend (tests check reuse with it; it marks nothing). */
export function backingArray(t: TensorInfo): unknown {
  return installed?.be.data.get(t.dataId)?.values;
}
