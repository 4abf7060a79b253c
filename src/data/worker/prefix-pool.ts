// A pool of worker threads that each rebuilt the same transform prefix (prefix-worker.ts).
// run() queues one item; an idle worker takes it and posts the result back with its
// buffers transferred. Idle workers are unref'd, so the pool never keeps the process
// alive; close() stops them (each after its current item). A worker that dies fails its item and leaves the pool.
import { Worker } from 'node:worker_threads';
import type { ComponentRecipe } from '../../components/recipe.js';
import type { TransformResult } from '../../transforms/base.js';

const FROM_TS = import.meta.url.endsWith('.ts');
const ENTRY = new URL(FROM_TS ? './prefix-worker.ts' : './prefix-worker.js', import.meta.url);
// Running from TypeScript sources (tsx: tests, benchmarks): Node 20 does not carry tsx's
// loader hooks into a worker, so a tiny bootstrap registers them before importing the entry.
const tsBootstrap = () =>
  `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`;

function startWorker(workerData: unknown): Worker {
  return FROM_TS ? new Worker(tsBootstrap(), { eval: true, workerData, execArgv: [] }) : new Worker(ENTRY, { workerData });
}

class WorkerTaskError extends Error {
  constructor(
    message: string,
    readonly errorName: string,
  ) {
    super(message);
    this.name = 'WorkerTaskError';
  }
}

interface Task {
  id: number;
  sample: Record<string, unknown>;
  seed: number;
  resolve: (r: TransformResult) => void;
  reject: (e: Error) => void;
}
interface Slot {
  worker: Worker;
  task?: Task;
  retire?: boolean;
  exited?: boolean;
  threadId?: number;
}

export class PrefixPool {
  private readonly slots: Slot[] = [];
  private readonly every = new Set<Slot>();
  private readonly queue: Task[] = [];
  private nextId = 0;
  private closed = false;

  private constructor() {}

  /** Starts `size` workers and waits until each rebuilt the prefix; rejects with the first build error. */
  static async open(recipes: ComponentRecipe[], size: number): Promise<PrefixPool> {
    const pool = new PrefixPool();
    const starts = Array.from({ length: Math.max(1, size) }, () => pool.spawn(recipes));
    const results = await Promise.allSettled(starts);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await pool.close();
      throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Thread ids of the workers in the pool (for tests and logs). */
  get threadIds(): number[] {
    return this.slots.map((s) => s.threadId!);
  }

  private spawn(recipes: ComponentRecipe[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = startWorker({ recipes });
      const slot: Slot = { worker };
      this.every.add(slot);
      let ready = false;
      worker.on('message', (m: { type: string; id?: number; result?: TransformResult; message?: string; name?: string; threadId?: number }) => {
        if (m.type === 'ready') {
          ready = true;
          slot.threadId = m.threadId;
          this.slots.push(slot);
          worker.unref();
          resolve();
          this.dispatch();
        } else if (m.type === 'init-error') {
          reject(new Error(m.message));
          void worker.terminate();
        } else if (m.type === 'done' || m.type === 'fail') {
          const t = slot.task;
          slot.task = undefined;
          worker.unref();
          if (t && t.id === m.id) {
            if (m.type === 'done') t.resolve(m.result!);
            else t.reject(new WorkerTaskError(m.message ?? 'failed', m.name ?? 'Error'));
          }
          if (slot.retire) this.remove(slot);
          else this.dispatch();
        }
      });
      const died = (e: Error) => {
        if (!ready) {
          reject(e);
          return;
        }
        this.remove(slot);
        slot.task?.reject(e);
        slot.task = undefined;
        if (this.slots.length === 0) for (const t of this.queue.splice(0)) t.reject(new Error('every worker thread of the pool has stopped'));
      };
      worker.on('error', died);
      worker.on('exit', (code) => {
        slot.exited = true;
        if (!this.closed && !slot.retire) died(new Error(`worker thread exited with code ${code}`));
      });
    });
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.retire = true;
    stopWorker(slot);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.task || slot.retire) continue;
      const t = this.queue.shift()!;
      slot.task = t;
      slot.worker.ref(); // keep the process alive while an item is in flight
      slot.worker.postMessage({ type: 'task', id: t.id, sample: t.sample, seed: t.seed });
    }
  }

  /** Runs the prefix on one sample with the item stream seeded by `seed`. */
  run(sample: Record<string, unknown>, seed: number): Promise<TransformResult> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (this.slots.length === 0) return Promise.reject(new Error('every worker thread of the pool has stopped'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, sample, seed, resolve, reject });
      this.dispatch();
    });
  }

  /** Keeps at most n workers (busy ones finish their item first). */
  shrink(n: number): void {
    const extra = this.slots.slice(Math.max(1, n));
    for (const s of extra) {
      if (s.task) s.retire = true;
      else this.remove(s);
    }
    for (const s of extra)
      if (s.retire) {
        const i = this.slots.indexOf(s);
        if (i >= 0) this.slots.splice(i, 1);
      }
  }

  /** Stops every worker (each after its item in flight); queued items are rejected, results in flight are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new Error('the worker pool was closed'));
    this.slots.splice(0);
    // Workers are unref'd: hold the loop open until every worker has exited.
    const hold = setInterval(() => undefined, 1000);
    try {
      await Promise.all(
        [...this.every].map((s) => {
          s.task?.reject(new Error('the worker pool was closed'));
          s.task = undefined;
          return stopWorker(s);
        }),
      );
    } finally {
      clearInterval(hold);
    }
  }
}

/**
 * Asks a worker to exit once its current item is done (its port closes; nothing is cut off
 * inside a native call: terminating a thread while an async native op is in flight can abort
 * the process). A worker that does not exit within a minute is terminated.
 */
function stopWorker(s: Slot): Promise<void> {
  if (s.exited) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => void s.worker.terminate(), 60_000);
    timer.unref();
    s.worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      s.worker.postMessage({ type: 'close' });
    } catch {
      void s.worker.terminate();
    }
  });
}
