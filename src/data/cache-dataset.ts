// CacheDataset (MONAI): the deterministic prefix of the transform (up to the first random
// transform) runs once per cached item at init(), with num_workers in flight and a
// progress bar; each fetch runs only the random rest. The prefix runs in num_workers
// worker threads when it can be rebuilt there (see worker/prefix-runner.ts).
import { Progress } from '../util/progress.js';
import type { Transform, TransformResult } from '../transforms/base.js';
import type { Sample } from '../transforms/types.js';
import { Dataset, mapConcurrent } from './dataset.js';
import { PrefixRunner, type PrefixThreads } from './worker/prefix-runner.js';

export interface CacheOptions {
  cacheNum?: number;
  cacheRate?: number;
  numWorkers?: number;
  seed?: number;
  /** Show the caching progress bar (default true). */
  progress?: boolean;
  /** Where the cached prefix runs: worker threads when possible ('auto', default), 'main', or 'worker' (required). */
  threads?: PrefixThreads;
}

export class CacheDataset extends Dataset {
  protected cache: (TransformResult | undefined)[] = [];
  readonly cacheCount: number;
  readonly numWorkers: number;
  private initDone: Promise<void> | undefined;
  /** Runs the cached prefix (worker threads or the main thread). */
  readonly runner: PrefixRunner;
  constructor(
    data: Sample[],
    transform: Transform | Transform[] | undefined,
    readonly opts: CacheOptions = {},
  ) {
    super(data, transform, opts.seed ?? 0);
    const rate = opts.cacheRate ?? 1;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`cache_rate must be in [0, 1], got ${rate}`);
    this.cacheCount = Math.min(opts.cacheNum ?? Number.MAX_SAFE_INTEGER, Math.floor(data.length * rate), data.length);
    this.numWorkers = Math.max(1, opts.numWorkers ?? 1);
    this.runner = new PrefixRunner(this.transform, { workers: this.numWorkers, threads: opts.threads, owner: 'CacheDataset' });
  }

  /** The deterministic prefix on one item (what is cached). */
  protected prepare(index: number): Promise<TransformResult> {
    return this.runner.prepare(this.data[index], this.nextSeed(index), index);
  }

  /** Fills the cache (idempotent); call before training, or getItem calls it. */
  init(): Promise<void> {
    this.initDone ??= (async () => {
      const bar = this.opts.progress === false || this.cacheCount === 0 ? undefined : new Progress({ label: 'Loading dataset', total: this.cacheCount });
      const idx = Array.from({ length: this.cacheCount }, (_, i) => i);
      try {
        this.cache = await mapConcurrent(
          idx,
          this.numWorkers,
          (i) => this.prepare(i),
          () => bar?.tick(),
        );
      } finally {
        await this.runner.close(); // the cache is filled: the workers are not needed again
      }
    })();
    return this.initDone;
  }

  override async getItem(index: number): Promise<TransformResult> {
    this.checkIndex(index);
    if (index >= this.cacheCount) return super.getItem(index);
    await this.init();
    const cached = this.cache[index]!;
    const rng = this.nextRng(index);
    return this.transform.applyRange(Array.isArray(cached) ? cached : cached, this.transform.firstRandomIndex(), this.transform.transforms.length, rng);
  }
}
