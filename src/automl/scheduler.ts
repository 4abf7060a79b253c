// Workers and the scheduler: Clara's `workers=0:0:1:1` (':' between workers, ',' between
// a worker's GPUs; `cpu` is a CPU slot) and a pool that hands recommendations to free
// workers in order.
import { ClaraError } from '../util/errors.js';
import type { Worker } from './types.js';

/** Largest GPU id a workers spec may name (CUDA_VISIBLE_DEVICES ordinals on one host). */
const MAX_GPU_ID = 255;

export function parseWorkers(spec: string, place: { file?: string; path?: string } = { path: '--set workers' }): Worker[] {
  const s = spec.trim();
  if (!s) throw new ClaraError("expected workers like '0:0:1:1' (':' between workers, ',' between a worker's GPUs) or 'cpu:cpu'", place);
  return s.split(':').map((w, id) => {
    const parts = w.split(',').map((x) => x.trim());
    if (parts.length === 1 && (parts[0] === 'cpu' || parts[0] === '')) {
      if (parts[0] === '') throw new ClaraError(`worker ${id} is empty in '${spec}'; expected GPU ids or 'cpu'`, place);
      return { id, gpus: [] };
    }
    for (const g of parts) {
      if (!/^\d+$/.test(g)) throw new ClaraError(`worker ${id}: '${g}' is not a GPU id (a number) in '${spec}'; use 'cpu' for a CPU slot`, place);
      if (!/^(0|[1-9]\d{0,2})$/.test(g) || Number(g) > MAX_GPU_ID)
        throw new ClaraError(`worker ${id}: GPU id '${g}' in '${spec}' is not an id from 0 to ${MAX_GPU_ID} (no leading zeros)`, place);
    }
    if (new Set(parts).size !== parts.length) throw new ClaraError(`worker ${id} names a GPU twice in '${spec}'`, place);
    return { id, gpus: parts };
  });
}

/** Free workers, lowest id first; a suspended worker is handed no job until it is resumed. */
export class WorkerPool {
  private readonly free: Worker[];
  readonly suspended = new Set<number>();
  constructor(readonly workers: Worker[]) {
    this.free = [...workers];
  }
  get size(): number {
    return this.workers.length;
  }
  hasFree(): boolean {
    return this.free.some((w) => !this.suspended.has(w.id));
  }
  /** The lowest free worker, or `prefer` when it is free. */
  acquire(prefer?: number): Worker | undefined {
    this.free.sort((a, b) => a.id - b.id);
    // A suspended worker is not handed out, even when preferred.
    let i = prefer === undefined || this.suspended.has(prefer) ? -1 : this.free.findIndex((w) => w.id === prefer);
    if (i < 0) i = this.free.findIndex((w) => !this.suspended.has(w.id));
    return i < 0 ? undefined : this.free.splice(i, 1)[0];
  }
  release(w: Worker): void {
    if (!this.free.includes(w)) this.free.push(w);
  }
}
