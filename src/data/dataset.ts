// Dataset: a list of data dicts (file names) and a transform. A fetch of item i draws
// its random stream from (seed, i, how many times i was fetched), so results never
// depend on concurrency or on which worker computed them.
import { Rng } from '../util/random.js';
import { noiseHash } from '../transforms/ops/noise.js';
import { Compose } from '../transforms/compose.js';
import type { Transform, TransformResult } from '../transforms/base.js';
import type { Sample } from '../transforms/types.js';

/** A 32-bit seed from several integers (order matters). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) h = noiseHash((h ^ noiseHash((p >>> 0) ^ Math.floor(p / 2 ** 32))) >>> 0);
  return h >>> 0;
}

export interface ItemSource {
  readonly length: number;
  getItem(index: number): Promise<TransformResult>;
}

export function asCompose(t: Transform | Transform[] | undefined, seed = 0): Compose {
  if (!t) return new Compose([], seed);
  if (t instanceof Compose) return t;
  return new Compose(Array.isArray(t) ? t : [t], seed);
}

export class Dataset implements ItemSource {
  readonly transform: Compose;
  private readonly fetches: number[];
  constructor(
    readonly data: Sample[],
    transform?: Transform | Transform[],
    public seed = 0,
  ) {
    this.transform = asCompose(transform, seed);
    this.fetches = data.map(() => 0);
  }
  /** Reseeds the item streams and the transforms (e.g. from the config's determinism.random_seed). */
  setRandomState(seed: number): void {
    this.seed = seed;
    this.fetches.fill(0);
    this.transform.setRandomState(seed);
  }
  get length(): number {
    return this.data.length;
  }
  protected nextRng(index: number): Rng {
    return new Rng(this.nextSeed(index));
  }
  /** The seed of item `index`'s next fetch stream (counts the fetch). */
  protected nextSeed(index: number): number {
    return mixSeed(this.seed, index, this.fetches[index]++);
  }
  checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`dataset index ${index} is out of range [0, ${this.length})`);
  }
  async getItem(index: number): Promise<TransformResult> {
    this.checkIndex(index);
    return this.transform.apply({ ...this.data[index] }, this.nextRng(index));
  }
}

/** Runs fn over items with at most `workers` in flight; results in order. */
export async function mapConcurrent<T, R>(items: T[], workers: number, fn: (t: T, i: number) => Promise<R>, onDone?: () => void): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i], i);
      onDone?.();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, run));
  return out;
}
