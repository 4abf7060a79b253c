// The options of the datasets and the data loader, read from a component's args with the one
// argument reader: the registry's factories (config check, `@dataset` references) and
// buildDataPipeline (train, validate) read them here, so both accept and refuse the same.
import type { Args } from '../components/args.js';
import type { CacheOptions } from './cache-dataset.js';
import type { DataLoaderOptions } from './data-loader.js';
import type { SmartCacheOptions } from './smart-cache-dataset.js';

const POSITIVE = { min: 0, minExclusive: true };

/** CacheDataset: cache_num, cache_rate, num_workers, progress. */
export function cacheOptions(a: Args, seed: number, progress?: boolean): CacheOptions {
  return {
    cacheNum: a.num('cache_num', Number.MAX_SAFE_INTEGER, { int: true, min: 0 }),
    cacheRate: a.num('cache_rate', 1, { min: 0, max: 1 }),
    numWorkers: a.num('num_workers', 1, { int: true, min: 0 }),
    seed,
    progress: progress ?? a.bool('progress', true),
  };
}

/** SmartCacheDataset: as CacheDataset, plus replace_rate, num_init_workers, num_replace_workers, shuffle, seed. */
export function smartCacheOptions(a: Args, seed: number, progress?: boolean): SmartCacheOptions {
  return {
    cacheNum: a.num('cache_num', Number.MAX_SAFE_INTEGER, { int: true, min: 0 }),
    cacheRate: a.num('cache_rate', 1, { min: 0, max: 1 }),
    replaceRate: a.num('replace_rate', 0.1, { ...POSITIVE, max: 1 }),
    numInitWorkers: a.num('num_init_workers', 1, { int: true, min: 0 }),
    numReplaceWorkers: a.num('num_replace_workers', 1, { int: true, min: 0 }),
    shuffle: a.bool('shuffle', true),
    seed: a.num('seed', seed, { int: true, min: 0 }),
    progress: progress ?? a.bool('progress', true),
  };
}

/** DataLoader: batch_size, shuffle, num_workers, prefetch_factor, drop_last. */
export function loaderOptions(a: Args, seed: number): DataLoaderOptions {
  return {
    batchSize: a.num('batch_size', 1, { int: true, min: 1 }),
    shuffle: a.bool('shuffle', false),
    seed,
    numWorkers: a.num('num_workers', 2, { int: true, min: 0 }),
    prefetch: a.num('prefetch_factor', 2, { int: true, min: 0 }),
    dropLast: a.bool('drop_last', false),
  };
}
