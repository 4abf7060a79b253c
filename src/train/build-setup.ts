// From a loaded MMAR (config area) to what the Trainer and Evaluator run: Clara 3.x layout
// (train.model/loss/optimizer/lr_policy/image_pipeline, validate.metrics/image_pipeline/
// inferer) and 4.x layout (train.trainer/dataloader/handlers/..., validate.evaluator/
// key_metric/...). Components are built by the config area's ConfigBuilder from the shared
// registry, handlers by their registered factories; 3.x metrics and post-transforms are
// interpreted here by name. Anything
// that cannot run is an error naming its JSON path, or a one-line notice when ignoring it
// changes nothing that matters (TensorBoard).
import { ConfigBuilder } from '../config/build.js';
import { isPlainObject } from '../util/json-file.js';
import { claraLayout, isDisabled } from '../config/tree.js';
import { registry } from '../config/registry.js';
import type { LoadedMmar } from '../mmar/load.js';
import { ckptDirFrom } from '../jobs/paths.js';
import { readBool, readNumber } from '../components/args.js';
import { ClaraError, joinPath } from '../util/errors.js';
import { setGlobalSeed } from '../util/seed.js';
import { asBatchSource, asCaseSource, asInferer, asLossFn, asLrSchedule, asOptimizer, optimizerLr } from './adapters.js';
import type { BatchSource, CaseSource, InfererFn, LossFn, LrSchedule, OptimizerLike } from './components.js';
import { checkContract, CONTRACTS, type CaseMetric } from '../components/contracts.js';
import { meanDiceFactory } from '../metrics/register.js';
import { classDiceMetric, meanDiceMetric } from './evaluator.js';
import { foldData, foldPaths } from './fold-data.js';
import { asNetwork, type TrainableNetwork } from './network.js';
import type { ModelSpec } from './checkpoint.js';
import { resolve } from 'node:path';
import { buildDataPipeline } from '../data/build.js';
import { asCompose } from '../data/dataset.js';
import type { Transform } from '../transforms/base.js';
import type { TrainHandler } from './handlers.js';

type Obj = Record<string, unknown>;

export interface EvalParts {
  cases: CaseSource;
  inferer: InfererFn;
  metrics: CaseMetric[];
  keyMetricName: string;
}

export interface ModelParts {
  layout: 3 | 4;
  file: string;
  seed: number;
  amp: boolean;
  builder: ConfigBuilder;
  net: TrainableNetwork;
  modelSpec?: ModelSpec;
  /** MMAR_CKPT_DIR, MMAR_CKPT, MMAR_EVAL_OUTPUT_PATH (absolute). */
  ckptDir: string;
  ckpt?: string;
  evalDir: string;
  notices: string[];
}

export interface TrainSetup extends ModelParts {
  loss: LossFn;
  optimizer: OptimizerLike;
  lrSchedule?: LrSchedule;
  baseLr: number;
  data: BatchSource;
  val?: EvalParts;
  epochs: number;
  valInterval: number;
  keyMetricName: string;
  /** Load MMAR_CKPT before training (CheckpointLoader enabled / dont_load_ckpt_model false). */
  loadCheckpoint?: string;
}

function obj(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

/** The last key of a JSON path (`train.trainer.args.max_epochs` → `max_epochs`). */
function keyOf(path: string): string {
  return (
    path
      .replace(/\[\d+\]$/, '')
      .split('.')
      .pop() ?? path
  );
}

function num(v: unknown, file: string, path: string): number {
  return readNumber(v, keyOf(path), { file, path });
}

function bool(v: unknown, file: string, path: string): boolean {
  return readBool(v, keyOf(path), { file, path });
}

/** Epoch counts (epochs, validation interval): a whole number >= 1; -1 or 0.5 would train nothing, silently. */
function wholeEpochs(v: unknown, file: string, path: string): number {
  return readNumber(v, keyOf(path), { file, path }, { int: true, min: 1 });
}

/** The enabled component of a slot that may be a list of alternatives, with its path. */
export function enabledComponent(json: Obj, section: string, key: string, file: string): { node: Obj; path: string } | undefined {
  const s = obj(json[section]);
  if (!s || s[key] === undefined) return undefined;
  const base = joinPath(joinPath('', section), key);
  const v = s[key];
  if (Array.isArray(v)) {
    const on = v
      .map((x, i) => ({ node: x as Obj, path: joinPath(base, i) }))
      .filter((x) => isPlainObject(x.node) && !isDisabled({ disabled: x.node.disabled, path: x.path }, file));
    return on[0];
  }
  return isPlainObject(v) && !isDisabled({ disabled: v.disabled, path: base }, file) ? { node: v, path: base } : undefined;
}

export function nameOf(c: Obj): string {
  return String(c.name ?? c.path ?? c.ref ?? '').replace(/#.*$/, '');
}

function varValue(m: LoadedMmar, name: string): unknown {
  return m.train.vars.value(name);
}

function pathVar(m: LoadedMmar, name: string, dflt: string): string {
  const v = varValue(m, name);
  return resolve(m.paths.root, typeof v === 'string' && v !== '' ? v : dflt);
}

/** Builds the network and the paths every command needs. */
export async function buildModelParts(
  m: LoadedMmar,
  log: (s: string) => void = () => {},
  given?: { net: TrainableNetwork; modelSpec?: ModelSpec },
): Promise<ModelParts> {
  const cfg = m.train;
  const json = cfg.json;
  const file = cfg.file;
  const layout = claraLayout(json);
  const notices: string[] = [];
  const det = obj(json.determinism);
  const seed = det && det.random_seed !== undefined && det.random_seed !== null ? num(det.random_seed, file, 'determinism.random_seed') : 0;
  setGlobalSeed(seed);
  // The registry's models take a `seed`: give them the run's seed unless the config sets one.
  const model = enabledComponent(json, 'train', 'model', file);
  if (!model) throw new ClaraError('no model: the train section needs a "model" component', { file, path: 'train.model' });
  const spec = registry.get(nameOf(model.node));
  if (spec?.args?.includes('seed')) {
    const args = obj(model.node.args) ?? {};
    if (args.seed === undefined) model.node.args = { ...args, seed };
  }
  const trainer = obj(obj(obj(json.train)?.trainer)?.args);
  const amp =
    layout === 4 && trainer && trainer.amp !== undefined
      ? bool(trainer.amp, file, 'train.trainer.args.amp')
      : bool(json.use_amp ?? json.amp ?? false, file, json.use_amp !== undefined ? 'use_amp' : 'amp');
  const builder = await ConfigBuilder.create(cfg, { mmarRoot: m.paths.root });
  let net: TrainableNetwork;
  let modelSpec: ModelSpec | undefined;
  if (given) {
    ({ net, modelSpec } = given);
  } else {
    const built = builder.build(model.path);
    net = asNetwork(built, { file, path: model.path });
    // `"params": "#@model.parameters()"` (4.x optimizers) reads trainableWeights or parameters().
    const b = built as { trainableWeights?: unknown; parameters?: unknown } | undefined;
    if (b && typeof b === 'object' && b.trainableWeights === undefined && typeof b.parameters !== 'function') {
      Object.defineProperty(b, 'parameters', {
        value: () =>
          net
            .namedWeights()
            .filter((w) => w.trainable)
            .map((w) => w.variable),
        enumerable: false,
      });
    }
    const s = (built as { spec?: { name: string; args: Obj } }).spec;
    modelSpec = s ? { name: s.name, args: s.args } : model.node.path ? undefined : { name: nameOf(model.node), args: obj(model.node.args) ?? {} };
  }
  const ck = varValue(m, 'MMAR_CKPT');
  log(`model ${nameOf(model.node)} (${model.path}), layout Clara ${layout}.x, seed ${seed}`);
  return {
    layout,
    file,
    seed,
    amp,
    builder,
    net,
    modelSpec,
    notices,
    ...foldPaths(m, {
      ckptDir: ckptDirFrom(m.paths.root, varValue(m, 'MMAR_CKPT_DIR')),
      ckpt: typeof ck === 'string' && ck !== '' ? resolve(m.paths.root, ck) : undefined,
      evalDir: pathVar(m, 'MMAR_EVAL_OUTPUT_PATH', 'eval'),
    }),
  };
}

/** The evaluator's metrics from validate.key_metric/additional_metrics (4.x) or validate.metrics (3.x). */
function buildMetrics(json: Obj, layout: 3 | 4, file: string, notices: string[], builder: ConfigBuilder): { metrics: CaseMetric[]; key: string } {
  const v = obj(json.validate) ?? {};
  const out: CaseMetric[] = [];
  let key: string | undefined;
  const skipBg = (() => {
    // 3.x: DiceMaskedOutput aux op says whether background is skipped.
    const aux = obj(json.train)?.aux_ops;
    const list = Array.isArray(aux) ? aux : aux ? [aux] : [];
    const d = list.find((a) => isPlainObject(a) && nameOf(a) === 'DiceMaskedOutput') as Obj | undefined;
    return d ? bool(obj(d.args)?.skip_background ?? true, file, 'train.aux_ops.args.skip_background') : true;
  })();
  const one = (c: Obj, path: string, isKey: boolean) => {
    if (isDisabled({ disabled: c.disabled, path }, file)) return;
    const name = nameOf(c);
    const args = obj(c.args) ?? {};
    const label = typeof c.log_label === 'string' ? c.log_label : undefined;
    let metric: CaseMetric;
    switch (name) {
      case 'Dice': // a 3.x loss name some configs use for the metric
        metric = meanDiceFactory(args, { file, path, extra: { log_label: label } });
        break;
      case 'ComputeAverage': {
        const nm = String(args.name ?? 'mean_dice');
        const field = String(args.field ?? '');
        const cls = /^dice_?(\d+)$/.exec(field);
        metric = cls ? classDiceMetric(Number(cls[1]), nm) : meanDiceMetric(nm, !skipBg);
        if (args.is_key_metric !== undefined && bool(args.is_key_metric, file, `${path}.args.is_key_metric`)) key = nm;
        break;
      }
      default:
        // The metrics area's registered factories (MeanDice, Accuracy ...), args honoured as configured.
        if (registry.get(name)?.kind !== 'metric')
          throw new ClaraError(`metric '${name}' is not computed by clara-train's evaluator (known: ${registry.names('metric').join(', ')})`, {
            file,
            path: `${path}.name`,
          });
        metric = checkContract<CaseMetric>(builder.build(path), CONTRACTS.caseMetric, { file, path });
    }
    out.push(metric);
    if (isKey && !key) key = metric.name;
  };
  if (layout === 4) {
    if (isPlainObject(v.key_metric)) one(v.key_metric, 'validate.key_metric', true);
    const add = v.additional_metrics;
    if (Array.isArray(add)) add.forEach((c, i) => isPlainObject(c) && one(c, `validate.additional_metrics[${i}]`, false));
  } else {
    const ms = Array.isArray(v.metrics) ? v.metrics : v.metrics ? [v.metrics] : [];
    ms.forEach((c, i) => isPlainObject(c) && one(c, `validate.metrics[${i}]`, false));
  }
  if (out.length === 0) {
    out.push(meanDiceMetric('val_mean_dice', false));
    notices.push('validate has no metric: using MeanDice (background excluded) as val_mean_dice');
  }
  return { metrics: out, key: key ?? out[0].name };
}

const POST_TRANSFORMS_MEANT = new Set(['Activationsd', 'AsDiscreted', 'Activations', 'AsDiscrete', 'ToTensord', 'SaveImaged']);

function checkPostTransforms(json: Obj, file: string, notices: string[]): void {
  for (const section of ['train', 'validate']) {
    const pt = obj(json[section])?.post_transforms;
    if (!Array.isArray(pt)) continue;
    pt.forEach((c, i) => {
      if (!isPlainObject(c)) return;
      const name = nameOf(c);
      const path = `${section}.post_transforms[${i}]`;
      if (c.ref !== undefined || POST_TRANSFORMS_MEANT.has(name)) return;
      notices.push(`${file}: ${path}: post transform '${name}' is not applied (the evaluator takes softmax + argmax of the logits)`);
    });
  }
}

/**
 * The data loader of a section through the data area's pipeline builder (4.x dataset +
 * dataloader, 3.x image_pipeline); the pre-transforms are built by the config builder so
 * 3.x `ref`s and BYOC transforms work. Validation draws from its own seed stream.
 */
export function buildLoader(m: LoadedMmar, parts: ModelParts, section: 'train' | 'validate'): unknown {
  const sec = obj(m.train.json[section]);
  if (!sec) throw new ClaraError(`no ${section} section`, { file: parts.file, path: section });
  const seed = (parts.seed + (section === 'validate' ? 0x5eed : 0)) >>> 0;
  const list = sec.pre_transforms === undefined ? [] : parts.builder.buildList(`${section}.pre_transforms`);
  const data = foldData(m, section, (s) => parts.notices.push(s));
  const p = buildDataPipeline(sec, {
    file: parts.file,
    path: section,
    mmarRoot: m.paths.root,
    seed,
    transform: asCompose(list as Transform[], seed),
    progress: true,
    data,
  });
  return p.loader;
}

/** The validation pieces (data, inferer, metrics). */
export function buildEvalParts(m: LoadedMmar, parts: ModelParts, dataKey?: string): EvalParts | undefined {
  const json = m.train.json;
  const { file, layout, builder } = parts;
  const v = obj(json.validate);
  if (!v) return undefined;
  const loaderPath = layout === 4 ? 'validate.dataloader' : 'validate.image_pipeline';
  if (v[layout === 4 ? 'dataloader' : 'image_pipeline'] === undefined) {
    throw new ClaraError(`the validate section has no ${layout === 4 ? 'dataloader' : 'image_pipeline'}`, { file, path: loaderPath });
  }
  if (dataKey) {
    const ds = obj(layout === 4 ? v.dataset : obj(v.image_pipeline)?.args);
    if (ds) ds.data_list_key = dataKey;
  }
  const loader = buildLoader(m, parts, 'validate');
  const infPath = 'validate.inferer';
  const inferer = asInferer(v.inferer !== undefined ? builder.build(infPath) : undefined, { file, path: infPath });
  const { metrics, key } = buildMetrics(json, layout, file, parts.notices, parts.builder);
  checkPostTransforms(json, file, parts.notices);
  return { cases: asCaseSource(loader, { file, path: loaderPath }), inferer, metrics, keyMetricName: key };
}

/** Everything `train` needs. */
export async function buildTrainSetup(m: LoadedMmar, log: (s: string) => void = () => {}): Promise<TrainSetup> {
  const parts = await buildModelParts(m, log);
  const { file, layout, builder, notices } = parts;
  const json = m.train.json;
  const t = obj(json.train) ?? {};
  const trainerArgs = layout === 4 ? (obj(obj(t.trainer)?.args) ?? {}) : {};

  const epochsPath = layout === 4 && trainerArgs.max_epochs !== undefined ? 'train.trainer.args.max_epochs' : 'epochs';
  const epochs = wholeEpochs(trainerArgs.max_epochs ?? json.epochs ?? 1, file, epochsPath);
  let valInterval = num(json.num_training_epoch_per_valid ?? json.num_interval_per_valid ?? 1, file, 'num_interval_per_valid');
  let loadCheckpoint: string | undefined;

  // 4.x handlers, built by their registered factories (train/handlers.ts): each says what it asks of the trainer.
  if (layout === 4) {
    for (const section of ['train', 'validate']) {
      const hs = obj(json[section])?.handlers;
      if (!Array.isArray(hs)) continue;
      hs.forEach((h, i) => {
        if (!isPlainObject(h)) return;
        const path = `${section}.handlers[${i}]`;
        if (isDisabled({ disabled: h.disabled, path }, file)) return;
        const name = nameOf(h);
        if (h.path !== undefined) {
          notices.push(`${file}: ${path}: handler '${name}' has no clara-train equivalent and is not run`);
          return;
        }
        const spec = registry.require(name, { file, path: `${path}.name` }, 'handler');
        const args = obj(h.args) ?? {};
        registry.checkArgs(spec, args, { file, path });
        const made = spec.factory(args, { file, path }) as TrainHandler;
        if (made.does === 'validate' && made.interval !== undefined) valInterval = made.interval;
        else if (made.does === 'load_checkpoint') loadCheckpoint = resolve(m.paths.root, made.loadPath);
        else if (made.does === 'save_checkpoints' && made.saveDir)
          parts.ckptDir = foldPaths(m, { ckptDir: resolve(m.paths.root, made.saveDir), evalDir: '' }).ckptDir;
        else if (made.does === 'notice') notices.push(`${path}: ${name}: ${made.notice}`);
      });
    }
  } else if (varValue(m, 'dont_load_ckpt_model') === false && parts.ckpt) {
    loadCheckpoint = parts.ckpt;
  }
  if (layout === 4 && varValue(m, 'dont_load_ckpt_model') === false && !loadCheckpoint && parts.ckpt) loadCheckpoint = parts.ckpt;
  valInterval = wholeEpochs(valInterval, file, 'num_interval_per_valid');

  // 3.x aux ops that only feed metrics.
  const aux = t.aux_ops;
  (Array.isArray(aux) ? aux : aux ? [aux] : []).forEach((a, i) => {
    if (isPlainObject(a) && nameOf(a) !== 'DiceMaskedOutput' && !isDisabled({ disabled: a.disabled, path: `train.aux_ops[${i}]` }, file)) {
      throw new ClaraError(`aux op '${nameOf(a)}' is not supported (known: DiceMaskedOutput)`, { file, path: `train.aux_ops[${i}].name` });
    }
  });

  const lossC = enabledComponent(json, 'train', 'loss', file);
  if (!lossC) throw new ClaraError('no loss: the train section needs an enabled "loss" component', { file, path: 'train.loss' });
  const loss = asLossFn(builder.build('train.loss'), { file, path: lossC.path });

  const optC = enabledComponent(json, 'train', 'optimizer', file);
  if (!optC) throw new ClaraError('no optimizer: the train section needs an enabled "optimizer" component', { file, path: 'train.optimizer' });
  const optimizer = asOptimizer(builder.build('train.optimizer'), { file, path: optC.path }, () => parts.net.namedWeights().filter((w) => w.trainable));
  const oargs = obj(optC.node.args) ?? {};
  const lrArg = oargs.lr ?? oargs.learning_rate;
  const baseLr =
    lrArg !== undefined
      ? num(lrArg, file, `${optC.path}.args.lr`)
      : json.learning_rate !== undefined
        ? num(json.learning_rate, file, 'learning_rate')
        : optimizerLr(optimizer, 1e-3);

  const lrKey = t.lr_scheduler !== undefined ? 'lr_scheduler' : t.lr_policy !== undefined ? 'lr_policy' : undefined;
  let lrSchedule: LrSchedule | undefined;
  if (lrKey) {
    const c = enabledComponent(json, 'train', lrKey, file);
    if (c) lrSchedule = asLrSchedule(builder.build(`train.${lrKey}`), baseLr, { file, path: c.path });
  }

  const dataPath = layout === 4 ? 'train.dataloader' : 'train.image_pipeline';
  if (t[layout === 4 ? 'dataloader' : 'image_pipeline'] === undefined) {
    throw new ClaraError(`the train section has no ${layout === 4 ? 'dataloader' : 'image_pipeline'}`, { file, path: dataPath });
  }
  const data = asBatchSource(buildLoader(m, parts, 'train'), { file, path: dataPath });
  const val = buildEvalParts(m, parts);
  const keyMetricName = val?.keyMetricName ?? 'val_mean_dice';
  return { ...parts, loss, optimizer, lrSchedule, baseLr, data, val, epochs, valInterval, keyMetricName, loadCheckpoint };
}
