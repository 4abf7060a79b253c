// `validate` / `infer` with Clara 4.x's standalone configs (config_validation.json,
// config_inference.json): a flat top level — model, pre_transforms, dataset, dataloader,
// inferer, handlers, post_transforms, key_metric, additional_metrics — tied together by a
// SupervisedEvaluator with `@` references. The config is loaded by the MMAR loader (variables,
// environment.json, --set) and its components built by the config builder from the registry;
// the evaluator runs as MONAI's does: per case, pre-transforms (their spatial operations
// recorded for Invertd) → inferer → `pred` → post-transforms → metrics on `pred`/`label`;
// then the handlers' outputs (MetricsSaver files, StatsHandler lines, SegmentationSaver).
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isPlainObject } from '../util/json-file.js';
import { isDisabled } from '../config/tree.js';
import { ConfigBuilder } from '../config/build.js';
import { initEngine } from '../engine/index.js';
import { readClaraDatalist } from '../data/datalist-source.js';
import { Compose } from '../transforms/compose.js';
import { Transform } from '../transforms/base.js';
import { recipeOf } from '../components/recipe.js';
import { traceGeometry } from '../transforms/geometry-trace.js';
import { dtypeName, SaveImaged } from '../transforms/save-imaged.js';
import type { DType } from '../io/volume.js';
import { isTensor, type MetaDict, type Sample, type Tensor } from '../transforms/types.js';
import { ClaraError, joinPath } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { yieldToEventLoop } from '../util/yield.js';
import { asInferer, toNDHWC } from './adapters.js';
import type { InfererFn } from './components.js';
import { loadSlotModel } from './model-slot.js';
import { summaryOps, writeMetricsReports } from './metrics-saver.js';
import { diceOfClass } from '../metrics/dice.js';
import { openStandalone, type StandaloneOptions } from './standalone-config.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? v : undefined);
const nameOf = (c: Obj): string => String(c.name ?? c.path ?? '').replace(/#.*$/, '');

export interface StandaloneResult {
  /** Mean metrics over cases (MONAI's reduction), by log label. */
  metrics: Record<string, number>;
  keyMetricName?: string;
  cases: number;
  /** Files written by SaveImaged / SegmentationSaver / MetricsSaver. */
  outputs: string[];
  /** Where the weights came from. */
  model: string;
}

interface MetricDef {
  name: string;
  kind: 'dice' | 'accuracy';
  includeBackground: boolean;
  predKey: string;
  labelKey: string;
  path: string;
}

/** `@name` (or a default key) → the top-level key it names. */
function refKey(v: unknown, dflt: string, json: Obj, file: string, path: string): string | undefined {
  if (v === undefined) return dflt in json ? dflt : undefined;
  if (typeof v === 'string' && /^@\w+$/.test(v)) {
    const k = v.slice(1);
    if (!(k in json)) throw new ClaraError(`'${v}' refers to nothing at the top level of the config`, { file, path });
    return k;
  }
  throw new ClaraError(`expected an "@name" reference to a top-level block, found ${JSON.stringify(v)}`, { file, path });
}

function fromEngineKeys(v: unknown, dflt: [string, string]): [string, string] {
  if (typeof v !== 'string') return dflt;
  const m = /from_engine\(\s*\[\s*['"](\w+)['"]\s*,\s*['"](\w+)['"]\s*\]/.exec(v);
  return m ? [m[1], m[2]] : dflt;
}

function metricDefs(json: Obj, keyKey: string | undefined, addKey: string | undefined, file: string): { defs: MetricDef[]; key?: string } {
  const defs: MetricDef[] = [];
  const one = (c: unknown, path: string) => {
    if (!isPlainObject(c) || isDisabled({ disabled: c.disabled, path }, file)) return;
    const name = nameOf(c);
    const args = obj(c.args) ?? {};
    const label = typeof c.log_label === 'string' ? c.log_label : undefined;
    const [predKey, labelKey] = fromEngineKeys(args.output_transform, ['pred', 'label']);
    if (['MeanDice', 'DiceMetric', 'Dice'].includes(name)) {
      defs.push({
        name: label ?? 'val_mean_dice',
        kind: 'dice',
        includeBackground: args.include_background === undefined ? true : args.include_background === true,
        predKey,
        labelKey,
        path,
      });
    } else if (name === 'Accuracy') {
      defs.push({ name: label ?? 'val_acc', kind: 'accuracy', includeBackground: true, predKey, labelKey, path });
    } else {
      throw new ClaraError(`metric '${name}' is not computed by clara-train's evaluator (known: MeanDice, Accuracy)`, { file, path: `${path}.name` });
    }
  };
  if (keyKey) one(json[keyKey], keyKey);
  const key = defs[0]?.name;
  if (addKey) {
    const add = json[addKey];
    (Array.isArray(add) ? add : add === undefined ? [] : [add]).forEach((c, i) => one(c, Array.isArray(add) ? joinPath(addKey, i) : addKey));
  }
  return { defs, key };
}

/** The inferer's output for a channel-first image, channel-first ([K, i, j, k]). */
export async function predictChannelFirst(img: Tensor, inferer: InfererFn, forward: (x: tf.Tensor) => tf.Tensor, what: string): Promise<Tensor> {
  const x = toNDHWC(img, what);
  const logits = await inferer(x, forward);
  x.dispose();
  const chw = tf.tidy(() => tf.transpose(logits.squeeze([0]), [3, 0, 1, 2]));
  logits.dispose();
  const pred: Tensor = { data: (await chw.data()) as Float32Array, shape: chw.shape as number[] };
  chw.dispose();
  await yieldToEventLoop();
  return pred;
}

/** Class indices of a channel-first tensor: argmax over channels (one-hot or probabilities), or the values of one channel. */
export function classIndices(t: Tensor): { idx: Int32Array; channels: number } {
  const c = t.shape[0],
    n = t.data.length / c;
  const idx = new Int32Array(n);
  if (c === 1) for (let v = 0; v < n; v++) idx[v] = Math.round(t.data[v]);
  else
    for (let v = 0; v < n; v++) {
      let best = 0;
      for (let ch = 1; ch < c; ch++) if (t.data[ch * n + v] > t.data[best * n + v]) best = ch;
      idx[v] = best;
    }
  return { idx, channels: c };
}

interface HandlerPlan {
  checkpointLoader?: { loadPath: string; path: string };
  stats: boolean;
  metricsSavers: { saveDir: string; metrics: string[] | null; details: string[] | null; ops?: string[]; delimiter: string; path: string }[];
  segSavers: SaveImaged[];
  notices: string[];
}

function dtypeOf(v: unknown, place: { file: string; path: string }): DType {
  try {
    return dtypeName(v, 'output_dtype');
  } catch (e) {
    throw new ClaraError((e as Error).message, place);
  }
}

function strList(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  return (Array.isArray(v) ? v : [v]).map(String);
}

function planHandlers(json: Obj, key: string | undefined, file: string, root: string, onWrite: (f: string) => void): HandlerPlan {
  const plan: HandlerPlan = { stats: false, metricsSavers: [], segSavers: [], notices: [] };
  const hs = key ? json[key] : undefined;
  (Array.isArray(hs) ? hs : hs === undefined ? [] : [hs]).forEach((h, i) => {
    const path = Array.isArray(hs) ? joinPath(key!, i) : key!;
    if (!isPlainObject(h) || isDisabled({ disabled: h.disabled, path }, file)) return;
    const name = nameOf(h);
    const args = obj(h.args) ?? {};
    const str = (k: string, dflt?: string): string => {
      const v = args[k] ?? dflt;
      if (typeof v !== 'string' || v === '') throw new ClaraError(`${name} needs '${k}' (a path)`, { file, path: `${path}.args.${k}` });
      return v;
    };
    switch (name) {
      case 'CheckpointLoader':
        plan.checkpointLoader = { loadPath: str('load_path'), path };
        break;
      case 'StatsHandler':
        plan.stats = true;
        break;
      case 'MetricsSaver':
        plan.metricsSavers.push({
          saveDir: resolve(root, str('save_dir')),
          metrics: args.metrics === undefined ? ['*'] : strList(args.metrics),
          details: strList(args.metric_details),
          ops: summaryOps(args.summary_ops, { file, path: `${path}.args.summary_ops` }),
          delimiter: typeof args.delimiter === 'string' ? args.delimiter : ',',
          path,
        });
        break;
      case 'SegmentationSaver':
        plan.segSavers.push(
          new SaveImaged('pred', {
            outputDir: resolve(root, str('output_dir', './')),
            outputPostfix: typeof args.output_postfix === 'string' ? args.output_postfix : 'seg',
            outputExt: typeof args.output_ext === 'string' ? args.output_ext : '.nii.gz',
            resample: args.resample === undefined ? true : args.resample === true,
            mode: args.mode === 'bilinear' ? 'bilinear' : 'nearest',
            separateFolder: args.separate_folder === undefined ? true : args.separate_folder === true,
            squeezeEndDims: args.squeeze_end_dims !== false,
            dataRootDir: typeof args.data_root_dir === 'string' && args.data_root_dir ? args.data_root_dir : undefined,
            onWrite,
            outputDtype:
              args.output_dtype === undefined || args.output_dtype === null
                ? undefined
                : dtypeOf(args.output_dtype, { file, path: `${path}.args.output_dtype` }),
          }),
        );
        break;
      case 'TensorBoardStatsHandler':
      case 'TensorBoardImageHandler':
        plan.notices.push(`${path}: ${name}: TensorBoard is not written here`);
        break;
      default:
        plan.notices.push(`${file}: ${path}: handler '${name}' has no clara-train equivalent in evaluation and is not run`);
    }
  });
  return plan;
}

/** Runs a standalone validation/inference config. */
export async function runStandalone(o: StandaloneOptions): Promise<StandaloneResult> {
  const { log, m, json, file, root } = openStandalone(o);
  const ev = obj(json.evaluator);
  const evArgs = obj(ev?.args) ?? {};
  if (ev) {
    if (isDisabled({ disabled: ev.disabled, path: 'evaluator' }, file)) throw new ClaraError('the evaluator is disabled', { file, path: 'evaluator.disabled' });
    if (nameOf(ev) !== 'SupervisedEvaluator') {
      throw new ClaraError(`evaluator '${nameOf(ev)}' is not supported (known: SupervisedEvaluator)`, { file, path: 'evaluator.name' });
    }
  }
  const ap = (k: string) => `evaluator.args.${k}`;
  const loaderKey = refKey(evArgs.val_data_loader, 'dataloader', json, file, ap('val_data_loader'));
  const modelKey = refKey(evArgs.network, 'model', json, file, ap('network')) ?? 'model';
  const infererKey = refKey(evArgs.inferer, 'inferer', json, file, ap('inferer'));
  const postKey = refKey(evArgs.postprocessing, 'post_transforms', json, file, ap('postprocessing'));
  const keyKey = refKey(evArgs.key_val_metric, 'key_metric', json, file, ap('key_val_metric'));
  const addKey = refKey(evArgs.additional_metrics, 'additional_metrics', json, file, ap('additional_metrics'));
  const handlersKey = refKey(evArgs.val_handlers, 'handlers', json, file, ap('val_handlers'));
  const ampV = evArgs.amp ?? json.amp;
  const amp = ampV === true || ampV === 'true';

  // data: dataloader → dataset → datalist + transforms
  const loader = loaderKey ? obj(json[loaderKey]) : undefined;
  if (loaderKey && (!loader || nameOf(loader) !== 'DataLoader')) throw new ClaraError(`expected a DataLoader component`, { file, path: loaderKey });
  const datasetKey = refKey(obj(loader?.args)?.dataset, 'dataset', json, file, loaderKey ? `${loaderKey}.args.dataset` : 'dataset');
  const dataset = datasetKey ? obj(json[datasetKey]) : undefined;
  if (!datasetKey || !dataset)
    throw new ClaraError('no dataset: the config needs a "dataset" with data_list_file_path and data_list_key', { file, path: datasetKey ?? 'dataset' });
  if (!['Dataset', 'CacheDataset', 'SmartCacheDataset', 'PersistentDataset'].includes(nameOf(dataset))) {
    throw new ClaraError(`dataset '${nameOf(dataset)}' is not known (Dataset, CacheDataset, SmartCacheDataset, PersistentDataset)`, {
      file,
      path: `${datasetKey}.name`,
    });
  }
  if (o.dataKey) dataset.data_list_key = o.dataKey;
  let data: Sample[];
  try {
    data = readClaraDatalist(dataset, { file, path: datasetKey }, root);
  } catch (e) {
    if (e instanceof ClaraError && /data_list_key/.test(e.message) && !o.dataKey) e.message += ' (choose the list with --data-key)';
    throw e;
  }
  const transformsKey = refKey(obj(dataset.args)?.transform, 'pre_transforms', json, file, `${datasetKey}.args.transform`);

  const engine = await initEngine({ amp, log });
  log(`backend ${engine.backend.name}${engine.backend.nativeKernels ? '+native' : ''}${amp ? ' (amp)' : ''}`);
  const builder = await ConfigBuilder.create(m.train, { mmarRoot: root });
  const outputs: string[] = [];
  const onWrite = (f: string) => outputs.push(f);
  const plan = planHandlers(json, handlersKey, file, root, onWrite);
  for (const n of plan.notices) log(`notice: ${n}`);
  const model = loadSlotModel({ json, file, root, key: modelKey, builder, override: o.model, checkpointLoader: plan.checkpointLoader });
  log(`model from ${model.from}: ${model.weights}`);

  const preList = transformsKey ? builder.buildList(transformsKey) : [];
  preList.forEach((t, i) => {
    if (!(t instanceof Transform)) throw new ClaraError('not a transform', { file, path: joinPath(transformsKey!, i) });
  });
  const seed = 0;
  const pre = new Compose(traceGeometry(preList as Transform[]), seed);
  const postList = postKey ? builder.buildList(postKey) : [];
  postList.forEach((t, i) => {
    if (!(t instanceof Transform)) throw new ClaraError('not a transform', { file, path: joinPath(postKey!, i) });
    if (t instanceof SaveImaged) t.opts.onWrite = onWrite;
  });
  const post = new Compose(postList as Transform[], seed);
  const inferer = asInferer(infererKey ? builder.build(infererKey) : undefined, { file, path: infererKey ?? 'inferer' });
  const { defs, key } = metricDefs(json, keyKey, addKey, file);

  const perCase: Record<string, number[]>[] = [];
  const accTotals: Record<string, { ok: number; n: number }> = {};
  const images: string[] = [];
  const forward = (x: tf.Tensor) => tf.tidy(() => model.net.apply(x, false));
  const t0 = Date.now();
  for (let i = 0; i < data.length; i++) {
    const out = await pre.apply(data[i], new Rng(seed + i)).catch((e: Error) => {
      if (e instanceof ClaraError && e.file) throw e;
      throw new ClaraError(`case ${fileOfItem(data[i])}: ${e.message}`, { file, path: transformsKey ?? 'pre_transforms' });
    });
    if (Array.isArray(out))
      throw new ClaraError(`the pre-transforms gave ${out.length} samples for case ${i}; evaluation needs one per case`, {
        file,
        path: transformsKey ?? 'pre_transforms',
      });
    let s: Sample = out;
    const img = s.image;
    if (!isTensor(img)) throw new ClaraError(`case ${i}: no 'image' tensor after the pre-transforms`, { file, path: transformsKey ?? 'pre_transforms' });
    const pred = await predictChannelFirst(img, inferer, forward, `case ${i} 'image'`);
    const im = s.image_meta_dict as MetaDict | undefined;
    s = { ...s, pred, ...(im ? { pred_meta_dict: { ...im } } : {}) };
    // post-transforms one by one, so that a failure names its JSON path
    for (const t of post.transforms) {
      try {
        const r = await t.apply(s, new Rng(seed + i));
        s = Array.isArray(r) ? r[0] : r;
      } catch (e) {
        if (e instanceof ClaraError && e.file) throw e;
        throw new ClaraError(`case ${fileOfItem(data[i])}: ${(e as Error).message}`, { file, path: recipeOf(t)?.path ?? postKey });
      }
    }
    for (const sv of plan.segSavers) await sv.apply(s);
    const fileName = String((s.image_meta_dict as MetaDict | undefined)?.filename_or_obj ?? data[i].image ?? `case${i}`);
    images.push(fileName);
    const row: Record<string, number[]> = {};
    for (const d of defs) {
      const p = s[d.predKey],
        l = s[d.labelKey];
      if (!isTensor(p) || !isTensor(l)) {
        if (l === undefined || typeof l === 'string') continue; // no label (inference): no metric
        throw new ClaraError(`${d.name}: '${d.predKey}'/'${d.labelKey}' are not tensors after the post-transforms`, { file, path: d.path });
      }
      const P = classIndices(p),
        L = classIndices(l);
      if (P.idx.length !== L.idx.length) {
        throw new ClaraError(
          `${d.name}: '${d.predKey}' has grid [${p.shape.slice(1)}] and '${d.labelKey}' [${l.shape.slice(1)}]: bring them onto one grid (Invertd for the prediction, or the same spatial pre-transforms for the label)`,
          { file, path: d.path },
        );
      }
      if (d.kind === 'dice') {
        const k = Math.max(P.channels, L.channels, 2);
        const vals: number[] = [];
        for (let c = d.includeBackground ? 0 : 1; c < k; c++) vals.push(diceOfClass(P.idx, L.idx, c));
        row[d.name] = vals;
      } else {
        let ok = 0;
        for (let v = 0; v < P.idx.length; v++) if (P.idx[v] === L.idx[v]) ok++;
        row[d.name] = [P.idx.length ? ok / P.idx.length : NaN];
        const tot = (accTotals[d.name] ??= { ok: 0, n: 0 });
        tot.ok += ok;
        tot.n += P.idx.length;
      }
    }
    perCase.push(row);
    const shown = Object.entries(row)
      .map(([k, v]) => `${k} ${caseMean(v).toFixed(4)}`)
      .join(' ');
    log(`case ${i + 1}/${data.length} ${fileName.replace(/^.*\//, '')}${shown ? ' ' + shown : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  // MONAI's "mean" reduction for Dice: a case's mean over its non-NaN classes, then the mean over
  // cases that have one; Accuracy (ignite's) accumulates voxels over all cases
  const metrics: Record<string, number> = {};
  for (const d of defs) {
    if (d.kind === 'accuracy') {
      if (accTotals[d.name]) metrics[d.name] = accTotals[d.name].n ? accTotals[d.name].ok / accTotals[d.name].n : NaN;
      continue;
    }
    const per = perCase
      .filter((r) => r[d.name])
      .map((r) => caseMean(r[d.name]))
      .filter((v) => !Number.isNaN(v));
    if (perCase.some((r) => r[d.name])) metrics[d.name] = per.length ? per.reduce((a, b) => a + b, 0) / per.length : 0;
  }
  if (plan.stats && Object.keys(metrics).length)
    log(
      `Epoch[1] Metrics -- ${Object.entries(metrics)
        .map(([k, v]) => `${k}: ${v.toFixed(4)} `)
        .join('')}`,
    );
  for (const ms of plan.metricsSavers) {
    const pick = (names: string[] | null, all: string[]) => (names === null ? [] : all.filter((n) => names.includes('*') || names.includes(n)));
    const mNames = pick(ms.metrics, Object.keys(metrics));
    const dNames = pick(
      ms.details,
      defs.filter((d) => d.kind === 'dice' && perCase.some((r) => r[d.name])).map((d) => d.name),
    );
    outputs.push(
      ...writeMetricsReports({
        saveDir: ms.saveDir,
        images: ms.details ? images : undefined,
        metrics: Object.fromEntries(mNames.map((n) => [n, metrics[n]])),
        details: Object.fromEntries(dNames.map((n) => [n, perCase.map((r) => r[n])])),
        summaryOps: ms.ops,
        delimiter: ms.delimiter,
      }),
    );
  }
  tf.dispose(model.net.namedWeights().map((w) => w.variable));
  if (key && metrics[key] !== undefined) log(`${key} ${metrics[key].toFixed(4)} over ${data.length} case(s)`);
  return { metrics, keyMetricName: key, cases: data.length, outputs, model: model.weights };
}

function fileOfItem(item: Sample): string {
  return typeof item.image === 'string' ? item.image : JSON.stringify(item).slice(0, 80);
}

export function caseMean(v: number[]): number {
  const f = v.filter((x) => !Number.isNaN(x));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}
