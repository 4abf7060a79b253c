// DataLoader: batches of batch_size dataset items (multi-sample items add all their
// samples, as MONAI's list collate does), shuffled per epoch from the seed, with up to
// `prefetch` batches computed ahead while the consumer trains. Collates each tensor key to
// one Float32Array [N, C, i, j, k]. For a SmartCacheDataset it calls start() before the
// first epoch and updateCache() before each later one (MONAI's SmartCacheHandler).
import { ClaraError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { isTensor, type Sample, type Tensor } from '../transforms/types.js';
import { mapConcurrent, mixSeed, type ItemSource } from './dataset.js';
import { SmartCacheDataset } from './smart-cache-dataset.js';
import { CacheDataset } from './cache-dataset.js';

export interface CollatedBatch {
  tensors: Record<string, Tensor>;
  /** The samples' non-tensor entries (meta dicts, file names), in batch order. */
  samples: Sample[];
  size: number;
}

export interface DataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  /** Batches computed ahead of the consumer (default 2). */
  prefetch?: number;
  /** Items fetched concurrently within a batch (default 2). */
  numWorkers?: number;
  dropLast?: boolean;
}

export function collate(samples: Sample[]): CollatedBatch {
  if (samples.length === 0) throw new ClaraError('collate: empty batch');
  const tensors: Record<string, Tensor> = {};
  for (const key of Object.keys(samples[0])) {
    if (!isTensor(samples[0][key])) continue;
    const first = samples[0][key] as Tensor;
    const per = first.data.length;
    const data = new Float32Array(per * samples.length);
    samples.forEach((s, i) => {
      const t = s[key];
      if (!isTensor(t) || t.shape.length !== first.shape.length || t.shape.some((d, j) => d !== first.shape[j]))
        throw new ClaraError(
          `collate: '${key}' of sample ${i} has shape [${isTensor(t) ? t.shape : typeof t}], sample 0 has [${first.shape}]; ` +
            'crop or pad to one size (e.g. RandCropByPosNegLabeld / SpatialPadd) or use batch_size 1',
        );
      data.set(t.data, i * per);
    });
    tensors[key] = { data, shape: [samples.length, ...first.shape] };
  }
  const rest = samples.map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => !isTensor(v))));
  return { tensors, samples: rest, size: samples.length };
}

export class DataLoader {
  readonly batchSize: number;
  private epochCount = 0;
  constructor(
    readonly dataset: ItemSource,
    readonly opts: DataLoaderOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new ClaraError(`DataLoader: batch_size must be a positive integer, got ${opts.batchSize}`);
  }

  /** Reseeds the shuffling and the dataset (its transforms and item streams). */
  setRandomState(seed: number): void {
    this.opts.seed = seed;
    (this.dataset as { setRandomState?: (s: number) => void }).setRandomState?.(seed);
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.opts.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The item order of epoch e. */
  order(epoch: number): number[] {
    const idx = Array.from({ length: this.dataset.length }, (_, i) => i);
    if (this.opts.shuffle) new Rng(mixSeed(this.opts.seed ?? 0, epoch, 0x10ad)).shuffle(idx);
    return idx;
  }

  private async fetchBatch(indices: number[]): Promise<CollatedBatch> {
    const items = await mapConcurrent(indices, this.opts.numWorkers ?? 2, (i) => this.dataset.getItem(i));
    return collate(items.flatMap((r) => (Array.isArray(r) ? r : [r])));
  }

  /** One epoch of collated batches (the next epoch number when omitted). */
  async *epoch(epoch = this.epochCount): AsyncGenerator<CollatedBatch> {
    this.epochCount = epoch + 1;
    const ds = this.dataset;
    if (ds instanceof SmartCacheDataset) {
      if (epoch === 0) await ds.start();
      else await ds.updateCache();
    } else if (ds instanceof CacheDataset) await ds.init();
    const order = this.order(epoch);
    const batches: number[][] = [];
    for (let b = 0; b < order.length; b += this.batchSize) {
      const chunk = order.slice(b, b + this.batchSize);
      if (chunk.length < this.batchSize && this.opts.dropLast) break;
      batches.push(chunk);
    }
    const ahead = Math.max(1, (this.opts.prefetch ?? 2) + 1);
    const inflight: Promise<CollatedBatch>[] = [];
    let next = 0;
    const fill = () => {
      while (inflight.length < ahead && next < batches.length) {
        const p = this.fetchBatch(batches[next++]);
        p.catch(() => undefined);
        inflight.push(p);
      }
    };
    fill();
    while (inflight.length) {
      const b = await inflight.shift()!;
      fill();
      yield b;
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<CollatedBatch> {
    return this.epoch();
  }
}
