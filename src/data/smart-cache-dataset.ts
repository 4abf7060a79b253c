// SmartCacheDataset (MONAI semantics): cache_num items hold their deterministic-prefix
// result; while an epoch trains, the next ceil(cache_num * replace_rate) items (cyclic
// over the, optionally shuffled, data list) are computed in the background with
// num_replace_workers in flight; update_cache() between epochs waits for them (normally
// not at all) and swaps them in for the oldest cached items; shutdown() stops the work.
// The initial fill and the replacements run in worker threads (max(num_init_workers,
// num_replace_workers) during the fill, num_replace_workers after) when the prefix can be
// rebuilt there, so reading, decompression, NIfTI parsing and the transforms never hold
// up the training on the main thread; else on the main thread (said once in the log).
import { ClaraError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { Rng } from '../util/random.js';
import type { Transform, TransformResult } from '../transforms/base.js';
import type { Sample } from '../transforms/types.js';
import { Dataset, mapConcurrent, mixSeed } from './dataset.js';
import { PrefixRunner, type PrefixThreads } from './worker/prefix-runner.js';

export interface SmartCacheOptions {
  cacheNum?: number;
  cacheRate?: number;
  replaceRate?: number;
  numInitWorkers?: number;
  numReplaceWorkers?: number;
  shuffle?: boolean;
  seed?: number;
  progress?: boolean;
  /** Where the cached prefix runs: worker threads when possible ('auto', default), 'main', or 'worker' (required). */
  threads?: PrefixThreads;
}

export class SmartCacheDataset extends Dataset {
  readonly cacheNum: number;
  readonly replaceNum: number;
  /** Data-list positions currently cached, oldest first. */
  private slots: number[] = [];
  private cache: TransformResult[] = [];
  private order: number[];
  private nextPos: number;
  private pending: Promise<{ pos: number[]; items: TransformResult[] }> | undefined;
  private stopped = false;
  private started: Promise<void> | undefined;
  /** Milliseconds the last updateCache() waited for the background replacement. */
  lastWaitMs = 0;
  /** How many items the last updateCache() replaced. */
  lastReplaced = 0;
  /** Runs the cached prefix (worker threads or the main thread). */
  readonly runner: PrefixRunner;

  constructor(
    data: Sample[],
    transform: Transform | Transform[] | undefined,
    readonly opts: SmartCacheOptions = {},
  ) {
    super(data, transform, opts.seed ?? 0);
    const rate = opts.cacheRate ?? 1;
    const replaceRate = opts.replaceRate ?? 0.1;
    if (!(replaceRate > 0 && replaceRate <= 1)) throw new ClaraError(`SmartCacheDataset: replace_rate must be in (0, 1], got ${replaceRate}`);
    this.cacheNum = Math.min(opts.cacheNum ?? Number.MAX_SAFE_INTEGER, Math.floor(data.length * rate), data.length);
    if (this.cacheNum <= 0) throw new ClaraError(`SmartCacheDataset: cache_num must be >= 1 (data has ${data.length} items)`);
    this.replaceNum = Math.min(Math.ceil(this.cacheNum * replaceRate), data.length - this.cacheNum);
    this.order = data.map((_, i) => i);
    if (opts.shuffle ?? true) new Rng(mixSeed(this.seed, 0x5c)).shuffle(this.order);
    this.nextPos = this.cacheNum % data.length;
    const workers = Math.max(1, opts.numInitWorkers ?? 1, opts.numReplaceWorkers ?? 1);
    this.runner = new PrefixRunner(this.transform, { workers, threads: opts.threads, owner: 'SmartCacheDataset' });
  }

  override get length(): number {
    return this.cacheNum;
  }

  /** The cached prefix results, in slot order (read only). */
  cachedResults(): readonly TransformResult[] {
    return this.cache;
  }

  /** Data-list indices in the cache now. */
  cachedIndices(): number[] {
    return this.slots.map((p) => this.order[p]);
  }

  private prepare(pos: number): Promise<TransformResult> {
    const index = this.order[pos];
    return this.runner.prepare(this.data[index], mixSeed(this.seed, index, 0xcac4e), index);
  }

  private scheduleReplacement(): void {
    if (this.stopped || this.replaceNum <= 0) return;
    const pos = Array.from({ length: this.replaceNum }, (_, i) => (this.nextPos + i) % this.data.length);
    this.nextPos = (this.nextPos + this.replaceNum) % this.data.length;
    const p = mapConcurrent(pos, Math.max(1, this.opts.numReplaceWorkers ?? 1), (q) => this.prepare(q)).then((items) => ({ pos, items }));
    p.catch(() => undefined); // surfaced by updateCache()
    this.pending = p;
  }

  /** Fills the initial cache (num_init_workers in flight, progress bar) and starts replacing. */
  start(): Promise<void> {
    this.started ??= (async () => {
      const pos = Array.from({ length: this.cacheNum }, (_, i) => i);
      const bar = this.opts.progress === false ? undefined : new Progress({ label: 'Loading SmartCache', total: this.cacheNum });
      this.cache = await mapConcurrent(
        pos,
        Math.max(1, this.opts.numInitWorkers ?? 1),
        (q) => this.prepare(q),
        () => bar?.tick(),
      );
      this.slots = pos;
      await this.runner.shrink(Math.max(1, this.opts.numReplaceWorkers ?? 1));
      this.scheduleReplacement();
    })();
    return this.started;
  }

  /** Swaps the finished replacements in for the oldest items; returns the ms it waited. */
  async updateCache(): Promise<number> {
    await this.start();
    if (!this.pending) {
      this.lastWaitMs = 0;
      this.lastReplaced = 0;
      return 0;
    }
    const t0 = performance.now();
    const { pos, items } = await this.pending;
    this.lastWaitMs = performance.now() - t0;
    this.cache = [...this.cache.slice(pos.length), ...items];
    this.slots = [...this.slots.slice(pos.length), ...pos];
    this.lastReplaced = pos.length;
    this.pending = undefined;
    this.scheduleReplacement();
    return this.lastWaitMs;
  }

  /** Stops replacing and terminates the worker threads (work in flight is dropped). */
  async shutdown(): Promise<void> {
    this.stopped = true;
    const p = this.pending;
    this.pending = undefined;
    await this.runner.close();
    if (p) await p.catch(() => undefined);
  }

  override async getItem(index: number): Promise<TransformResult> {
    this.checkIndex(index);
    await this.start();
    const dataIndex = this.order[this.slots[index]];
    const rng = this.nextRng(dataIndex);
    return this.transform.applyRange(this.cache[index], this.transform.firstRandomIndex(), this.transform.transforms.length, rng);
  }
}
