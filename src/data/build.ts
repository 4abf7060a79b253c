// Builds the data side of a training/validation section from a Clara config:
//   4.x: `pre_transforms` + `dataset` {name: CacheDataset|SmartCacheDataset|Dataset|PersistentDataset,
//        data_list_file_path, data_file_base_dir, data_list_key, args} + `dataloader` {name: DataLoader, args}
//   3.x: `pre_transforms` + `image_pipeline` {name: SegmentationImagePipeline[WithCache], args}
// Variables ({DATASET_JSON}, ...) must already be substituted by the config loader.
import { ClaraError, joinPath } from '../util/errors.js';
import { Args, readNumber } from '../components/args.js';
import { cacheOptions, loaderOptions, smartCacheOptions } from './options.js';
import { composeFromConfig } from '../transforms/build.js';
import type { Compose } from '../transforms/compose.js';
import type { Sample } from '../transforms/types.js';
import { CacheDataset } from './cache-dataset.js';
import { DataLoader } from './data-loader.js';
import { Dataset } from './dataset.js';
import { readClaraDatalist } from './datalist-source.js';
import { SmartCacheDataset } from './smart-cache-dataset.js';

export interface DataPipeline {
  transform: Compose;
  dataset: Dataset;
  loader: DataLoader;
  /** The data list entries (file names resolved). */
  data: Sample[];
}

export interface PipelineContext {
  /** Config file (for errors). */
  file: string;
  /** JSON path of the section, e.g. `train`. */
  path: string;
  /** MMAR root: relative datalist paths resolve against it. */
  mmarRoot?: string;
  seed?: number;
  /** Data entries to use instead of reading the datalist (tests, BYO data). */
  data?: Sample[];
  /** Already built transforms (when the config loader resolved refs itself). */
  transform?: Compose;
  progress?: boolean;
}

type Obj = Record<string, unknown>;
/** Each dataset's own arguments (the data location keys come on top in the registry: ./register.ts). */
export const DATASET_ARGS: Record<'Dataset' | 'CacheDataset' | 'SmartCacheDataset', string[]> = {
  Dataset: ['transform'],
  CacheDataset: ['transform', 'cache_num', 'cache_rate', 'num_workers', 'progress', 'copy_cache', 'as_contiguous', 'hash_as_key', 'runtime_cache'],
  SmartCacheDataset: [
    'transform',
    'replace_rate',
    'cache_num',
    'cache_rate',
    'num_init_workers',
    'num_replace_workers',
    'progress',
    'shuffle',
    'seed',
    'copy_cache',
    'as_contiguous',
    'runtime_cache',
  ],
};
const LOADER_ARGS = [
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
];
const PIPELINE_ARGS = [
  'data_list_file_path',
  'data_file_base_dir',
  'data_list_key',
  'output_crop_size',
  'output_batch_size',
  'batched_by_transforms',
  'output_image_channels',
  'output_label_channels',
  'num_workers',
  'prefetch_size',
  'num_cache_objects',
  'replace_percent',
  'caching_policy',
  'num_channels',
  'sampling',
];

function obj(v: unknown, file: string, path: string, what: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ClaraError(`${what} must be an object`, { file, path });
  return v as Obj;
}
/** Refuses args a component does not take (`path`: the component's JSON path). */
function checkArgs(args: Obj, allowed: string[], file: string, path: string, name: string): void {
  new Args(args, { file, path }).allow(allowed, name);
}
function numArg(args: Obj, k: string, file: string, path: string, dflt: number): number {
  return readNumber(args[k] ?? dflt, k, { file, path: joinPath(path, k) });
}
/** Builds transforms, dataset and loader for one config section (`train` or `validate`). */
export function buildDataPipeline(section: Obj, ctx: PipelineContext): DataPipeline {
  const { file } = ctx;
  const seed = ctx.seed ?? 0;
  const transform = ctx.transform ?? composeFromConfig(section.pre_transforms ?? [], { file, path: joinPath(ctx.path, 'pre_transforms') }, seed);
  if (section.dataset !== undefined) {
    const dpath = joinPath(ctx.path, 'dataset');
    const d = obj(section.dataset, file, dpath, 'dataset');
    const name = String(d.name ?? '').split('#')[0];
    const allowed = (DATASET_ARGS as Record<string, string[]>)[name === 'PersistentDataset' ? 'Dataset' : name];
    if (!allowed)
      throw new ClaraError(`unknown dataset '${d.name}'; known: ${Object.keys(DATASET_ARGS).join(', ')}, PersistentDataset`, {
        file,
        path: joinPath(dpath, 'name'),
      });
    const args = obj(d.args ?? {}, file, joinPath(dpath, 'args'), 'dataset args');
    checkArgs(args, allowed, file, dpath, name);
    if (args.transform !== undefined && args.transform !== '@pre_transforms' && JSON.stringify(args.transform) !== JSON.stringify(section.pre_transforms)) {
      // The section's pre_transforms are what runs; any other transform here would be silently ignored.
      throw new ClaraError(
        `the dataset's transform must be "@pre_transforms" (this section's pre_transforms, which are what runs); found ${JSON.stringify(args.transform).slice(0, 200)}`,
        { file, path: joinPath(joinPath(dpath, 'args'), 'transform') },
      );
    }
    const data = ctx.data ?? readClaraDatalist(d, { file, path: dpath }, ctx.mmarRoot);
    let dataset: Dataset;
    const a = new Args(args, { file, path: dpath });
    if (name === 'CacheDataset') dataset = new CacheDataset(data, transform, cacheOptions(a, seed, ctx.progress));
    else if (name === 'SmartCacheDataset') dataset = new SmartCacheDataset(data, transform, smartCacheOptions(a, seed, ctx.progress));
    else dataset = new Dataset(data, transform, seed);
    const lpath = joinPath(ctx.path, 'dataloader');
    const l = section.dataloader === undefined ? { name: 'DataLoader', args: {} } : obj(section.dataloader, file, lpath, 'dataloader');
    if (String(l.name ?? 'DataLoader').split('#')[0] !== 'DataLoader')
      throw new ClaraError(`unknown dataloader '${l.name}'; known: DataLoader`, { file, path: joinPath(lpath, 'name') });
    const la = obj(l.args ?? {}, file, joinPath(lpath, 'args'), 'dataloader args');
    checkArgs(la, LOADER_ARGS, file, lpath, 'DataLoader');
    const loader = new DataLoader(dataset, loaderOptions(new Args(la, { file, path: lpath }), seed));
    return { transform, dataset, loader, data };
  }
  if (section.image_pipeline !== undefined) {
    const ppath = joinPath(ctx.path, 'image_pipeline');
    const p = obj(section.image_pipeline, file, ppath, 'image_pipeline');
    const name = String(p.name ?? '').split('#')[0];
    const known = ['SegmentationImagePipeline', 'SegmentationImagePipelineWithCache', 'ClassificationImagePipeline', 'ClassificationImagePipelineWithCache'];
    if (!known.includes(name)) throw new ClaraError(`unknown image_pipeline '${p.name}'; known: ${known.join(', ')}`, { file, path: joinPath(ppath, 'name') });
    const ap = joinPath(ppath, 'args');
    const args = obj(p.args ?? {}, file, ap, 'image_pipeline args');
    checkArgs(args, PIPELINE_ARGS, file, ppath, name);
    const data = ctx.data ?? readClaraDatalist(args, { file, path: ap }, ctx.mmarRoot);
    const workers = numArg(args, 'num_workers', file, ap, 1);
    const dataset = name.endsWith('WithCache')
      ? new SmartCacheDataset(data, transform, {
          cacheNum: numArg(args, 'num_cache_objects', file, ap, data.length),
          replaceRate: numArg(args, 'replace_percent', file, ap, 0.1) || 0.1,
          numInitWorkers: workers,
          numReplaceWorkers: workers,
          seed,
          progress: ctx.progress,
        })
      : new CacheDataset(data, transform, { cacheRate: 1, numWorkers: workers, seed, progress: ctx.progress });
    const training = ctx.path.startsWith('train');
    const loader = new DataLoader(dataset, {
      batchSize: numArg(args, 'output_batch_size', file, ap, 1),
      shuffle: training,
      seed,
      numWorkers: workers,
      prefetch: numArg(args, 'prefetch_size', file, ap, 2),
    });
    return { transform, dataset, loader, data };
  }
  throw new ClaraError('the section has neither a 4.x "dataset" nor a 3.x "image_pipeline"', { file, path: ctx.path });
}
