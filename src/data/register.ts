// Registers the datasets, the loader and the 3.x image pipelines. A 4.x dataset block keeps
// data_list_file_path / data_file_base_dir / data_list_key next to `args` (the builder hands
// them over as ctx.extra; inside args works too), or `data` gives the entries themselves. `transform` is a
// built Compose, a list of built transforms, or a list of transform configs.
// For whole sections prefer buildDataPipeline (src/data/build.ts).
import { registry, type BuildContext } from '../components/registry.js';
import { ClaraError } from '../util/errors.js';
import { Transform } from '../transforms/base.js';
import { Compose } from '../transforms/compose.js';
import { composeFromConfig } from '../transforms/build.js';
import type { Sample } from '../transforms/types.js';
import { CacheDataset } from './cache-dataset.js';
import { DataLoader } from './data-loader.js';
import { Dataset } from './dataset.js';
import { readClaraDatalist } from './datalist-source.js';
import { SmartCacheDataset } from './smart-cache-dataset.js';
import { DATASET_ARGS, buildDataPipeline } from './build.js';
import { cacheOptions, loaderOptions, smartCacheOptions } from './options.js';
import { Args as ArgReader } from '../components/args.js';

type Args = Record<string, unknown>;
const LOCATION = ['data', 'data_list_file_path', 'data_file_base_dir', 'data_list_key'];

function transformOf(v: unknown, ctx: BuildContext): Compose {
  if (v instanceof Compose) return v;
  if (v instanceof Transform) return new Compose([v]);
  if (Array.isArray(v)) return composeFromConfig(v, { file: ctx.file, path: `${ctx.path}.args.transform` });
  if (v === undefined) return new Compose([]);
  throw new ClaraError('transform must be @pre_transforms or a list of transforms', { file: ctx.file, path: `${ctx.path}.args.transform` });
}
function dataOf(a: Args, ctx: BuildContext): Sample[] {
  if (Array.isArray(a.data)) return a.data as Sample[];
  // 4.x keeps data_list_file_path / data_file_base_dir / data_list_key next to `args` (ctx.extra)
  const where = { ...(ctx.extra ?? {}), ...a } as Args;
  return readClaraDatalist(where, { file: ctx.file, path: ctx.path }, ctx.mmarRoot);
}
/** A dataset or loader built outside a training run (config check, a reference) draws from seed 0, as train does without determinism.random_seed. */
const SEED = 0;

export function registerData(): void {
  if (registry.has('CacheDataset')) return;
  registry.register({
    names: ['Dataset', 'PersistentDataset'],
    kind: 'dataset',
    args: [...LOCATION, ...DATASET_ARGS.Dataset, 'cache_dir'],
    description: 'applies the transforms on every fetch',
    factory: (a, ctx) => new Dataset(dataOf(a, ctx), transformOf(a.transform, ctx)),
  });
  registry.register({
    names: ['CacheDataset'],
    kind: 'dataset',
    args: [...LOCATION, ...DATASET_ARGS.CacheDataset],
    description: 'caches the deterministic transform prefix',
    factory: (a, ctx) => new CacheDataset(dataOf(a, ctx), transformOf(a.transform, ctx), cacheOptions(new ArgReader(a, ctx), SEED)),
  });
  registry.register({
    names: ['SmartCacheDataset'],
    kind: 'dataset',
    args: [...LOCATION, ...DATASET_ARGS.SmartCacheDataset],
    description: 'a cache whose items are replaced in the background between epochs',
    factory: (a, ctx) => new SmartCacheDataset(dataOf(a, ctx), transformOf(a.transform, ctx), smartCacheOptions(new ArgReader(a, ctx), SEED)),
  });
  registry.register({
    names: ['DataLoader'],
    kind: 'dataloader',
    args: [
      'dataset',
      'batch_size',
      'shuffle',
      'num_workers',
      'pin_memory',
      'drop_last',
      'prefetch_factor',
      'persistent_workers',
      'collate_fn',
      'sampler',
      'worker_init_fn',
      'timeout',
    ],
    description: 'batches, shuffles and prefetches',
    factory: (a, ctx) => {
      if (!(a.dataset instanceof Dataset))
        throw new ClaraError('dataset must be @dataset (a built dataset)', { file: ctx.file, path: `${ctx.path}.args.dataset` });
      return new DataLoader(a.dataset, loaderOptions(new ArgReader(a, ctx), SEED));
    },
  });
  registry.register({
    names: ['SegmentationImagePipeline', 'SegmentationImagePipelineWithCache', 'ClassificationImagePipeline', 'ClassificationImagePipelineWithCache'],
    kind: 'image_pipeline',
    description: "Clara 3.x image pipeline: use buildDataPipeline(section) (it needs the section's pre_transforms)",
    factory: (a, ctx) =>
      buildDataPipeline(
        { image_pipeline: { name: ctx.name ?? 'SegmentationImagePipeline', args: a }, pre_transforms: [] },
        { file: ctx.file, path: ctx.path, mmarRoot: ctx.mmarRoot },
      ),
  });
}

registerData();
