// Clara 3.x (TensorFlow-era) standalone config_validation.json, where it differs from 4.x:
//   model_loader {FrozenGraphModelLoader: model_file_path}  → the folder `clara-train export`
//       writes (Clara's `{MMAR_CKPT_DIR}/model.trt.pb` / `model.pb` names map to `export` beside
//       them; a real frozen graph or TensorRT plan cannot run here and is refused);
//   pre_transforms on the image, label_transforms on the label (3.x names: LoadNifti,
//       ConvertToChannelsFirst, ScaleByResolution, SplitBasedOnLabel ...);
//   the network output in the field `model`, then post_transforms (ArgmaxAcrossChannels,
//       SplitBasedOnLabel, CopyProperties);
//   val_metrics ComputeAverageDice {name, field, label_field, report_path}: Dice of two binary
//       fields per case, averaged; written as MONAI MetricsSaver files in report_path (Clara 3's
//       own report format is not public);
//   writers WriteNifti {field, dtype, write_path}: <write_path>/<case>/<case>_<field>.nii.gz
//       with the field's meta affine (3.x has no Invertd: the grid after the pre-transforms).
// The cases come from DATASET_JSON / DATA_ROOT, list "validation" unless --data-key says.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigBuilder } from '../config/build.js';
import { isPlainObject } from '../util/json-file.js';
import { isDisabled } from '../config/tree.js';
import { readClaraDatalist } from '../data/datalist-source.js';
import { initEngine } from '../engine/index.js';
import { writeNifti } from '../io/nifti/index.js';
import { Transform } from '../transforms/base.js';
import { Compose } from '../transforms/compose.js';
import { dtypeName, monaiOutputPath } from '../transforms/save-imaged.js';
import { isTensor, type MetaDict, type Sample } from '../transforms/types.js';
import { ClaraError, joinPath } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { asInferer } from './adapters.js';
import { disposeCheckpoint, resolveCheckpointPath } from './checkpoint.js';
import { diceOfClass } from '../metrics/dice.js';
import { networkFromCheckpoint } from './export-model.js';
import { writeMetricsReports } from './metrics-saver.js';
import { torchScriptSlotPath } from './model-slot.js';
import { caseMean, classIndices, predictChannelFirst, type StandaloneResult } from './run-standalone.js';
import { openStandalone, type StandaloneOptions } from './standalone-config.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? v : undefined);
const nameOf = (c: Obj): string => String(c.name ?? c.path ?? '').replace(/#.*$/, '');

function enabledList(json: Obj, key: string, file: string): { c: Obj; path: string }[] {
  const v = json[key];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list
    .map((c, i) => ({ c: c as Obj, path: Array.isArray(v) ? joinPath(key, i) : key }))
    .filter(({ c, path }) => isPlainObject(c) && !isDisabled({ disabled: c.disabled, path }, file));
}

function needString(c: Obj, k: string, file: string, path: string): string {
  const v = obj(c.args)?.[k];
  if (typeof v !== 'string' || v === '') throw new ClaraError(`${nameOf(c)} needs '${k}'`, { file, path: `${path}.args.${k}` });
  return v;
}

/** The model_loader's weights: our export folder for Clara's frozen-graph names. */
function modelLoaderPath(json: Obj, file: string, root: string): string {
  const ml = obj(json.model_loader);
  if (!ml) throw new ClaraError('no model_loader: the 3.x validation config needs one (or give --model)', { file, path: 'model_loader' });
  const name = nameOf(ml);
  if (!['FrozenGraphModelLoader', 'TRTModelLoader', 'CheckpointModelLoader'].includes(name)) {
    throw new ClaraError(`model_loader '${name}' is not known (FrozenGraphModelLoader, TRTModelLoader, CheckpointModelLoader)`, {
      file,
      path: 'model_loader.name',
    });
  }
  const args = obj(ml.args) ?? {};
  const p = args.model_file_path ?? args.checkpoint_dir;
  if (typeof p !== 'string' || p === '') throw new ClaraError(`${name} needs 'model_file_path'`, { file, path: 'model_loader.args.model_file_path' });
  const abs = resolve(root, p);
  const place = { file, path: `model_loader.args.${args.model_file_path !== undefined ? 'model_file_path' : 'checkpoint_dir'}` };
  if (existsSync(abs) && statSync(abs).isFile() && /\.pb$/.test(abs)) {
    throw new ClaraError(
      `${abs} is a TensorFlow frozen graph (or TensorRT plan), which clara-train cannot run; point model_file_path at the folder \`clara-train export\` writes (${join(dirname(abs), 'export')})`,
      place,
    );
  }
  if (/\.pb$/.test(abs)) return torchScriptSlotPath(join(dirname(abs), 'export'), place);
  const mj = resolveCheckpointPath(abs);
  if (!existsSync(mj)) throw new ClaraError(`no model at ${abs} (run \`clara-train export\` after train)`, place);
  return mj;
}

export async function runClara3Validation(o: StandaloneOptions): Promise<StandaloneResult> {
  const { log, m, json, file, root } = openStandalone(o);
  // TFScanWindowInferer's batch_size is the sliding window's sw_batch_size
  const infArgs = obj(obj(json.inferer)?.args);
  if (infArgs && infArgs.batch_size !== undefined) {
    infArgs.sw_batch_size ??= infArgs.batch_size;
    delete infArgs.batch_size;
  }
  const weights = o.model ? resolveCheckpointPath(resolve(o.model)) : modelLoaderPath(json, file, root);
  const dsJson = m.train.vars.has('DATASET_JSON') ? m.train.vars.value('DATASET_JSON') : undefined;
  if (typeof dsJson !== 'string') throw new ClaraError('no DATASET_JSON: set it in environment.json or with --set', { file, path: 'DATASET_JSON' });
  const dataRoot = m.train.vars.has('DATA_ROOT') ? m.train.vars.value('DATA_ROOT') : undefined;
  const data = readClaraDatalist(
    { data_list_file_path: dsJson, data_file_base_dir: dataRoot, data_list_key: o.dataKey ?? 'validation' },
    { file, path: 'DATASET_JSON' },
    root,
  );

  const engine = await initEngine({ amp: json.use_amp === true, log });
  log(`backend ${engine.backend.name}${engine.backend.nativeKernels ? '+native' : ''}`);
  const { net, ck } = networkFromCheckpoint(weights);
  disposeCheckpoint(ck);
  log(`model from ${o.model ? '--model' : 'model_loader'}: ${weights}`);
  const builder = await ConfigBuilder.create(m.train, { mmarRoot: root });
  const compose = (key: string) => {
    const list = builder.buildList(key);
    list.forEach((t, i) => {
      if (!(t instanceof Transform)) throw new ClaraError('not a transform', { file, path: joinPath(key, i) });
    });
    return new Compose(list as Transform[], 0);
  };
  const pre = compose('pre_transforms'),
    labelT = compose('label_transforms'),
    post = compose('post_transforms');
  const inferer = asInferer(json.inferer !== undefined ? builder.build('inferer') : undefined, { file, path: 'inferer' });

  const metrics = enabledList(json, 'val_metrics', file).map(({ c, path }) => {
    if (nameOf(c) !== 'ComputeAverageDice')
      throw new ClaraError(`val metric '${nameOf(c)}' is not computed here (known: ComputeAverageDice)`, { file, path: `${path}.name` });
    return {
      name: needString(c, 'name', file, path),
      field: needString(c, 'field', file, path),
      labelField: needString(c, 'label_field', file, path),
      reportPath: resolve(root, needString(c, 'report_path', file, path)),
      path,
    };
  });
  const writers = enabledList(json, 'writers', file).map(({ c, path }) => {
    if (nameOf(c) !== 'WriteNifti') throw new ClaraError(`writer '${nameOf(c)}' is not known (WriteNifti)`, { file, path: `${path}.name` });
    const a = obj(c.args) ?? {};
    let dtype;
    try {
      dtype = a.dtype === undefined ? 'float32' : dtypeName(a.dtype, 'WriteNifti');
    } catch (e) {
      throw new ClaraError((e as Error).message, { file, path: `${path}.args.dtype` });
    }
    return { field: needString(c, 'field', file, path), dtype, writePath: resolve(root, needString(c, 'write_path', file, path)) };
  });

  const forward = (x: tf.Tensor) => tf.tidy(() => net.apply(x, false));
  const outputs: string[] = [];
  const images: string[] = [];
  const perCase: Record<string, number>[] = [];
  const t0 = Date.now();
  for (let i = 0; i < data.length; i++) {
    let s = (await pre.apply(data[i], new Rng(i))) as Sample;
    if (typeof data[i].label === 'string' && labelT.transforms.length) s = (await labelT.apply(s, new Rng(i))) as Sample;
    if (!isTensor(s.image)) throw new ClaraError(`case ${i}: no 'image' tensor after the pre-transforms`, { file, path: 'pre_transforms' });
    const im = s.image_meta_dict as MetaDict | undefined;
    s = { ...s, model: await predictChannelFirst(s.image, inferer, forward, `case ${i} 'image'`), ...(im ? { model_meta_dict: { ...im } } : {}) };
    s = (await post.apply(s)) as Sample;
    const src = String(im?.filename_or_obj ?? data[i].image);
    images.push(src);
    const row: Record<string, number> = {};
    for (const mt of metrics) {
      const p = s[mt.field],
        l = s[mt.labelField];
      if (!isTensor(p) || !isTensor(l)) {
        if (!isTensor(l) && typeof data[i].label !== 'string') continue; // no label for this case
        throw new ClaraError(`ComputeAverageDice: '${mt.field}' and '${mt.labelField}' must be fields after the post/label transforms`, {
          file,
          path: mt.path,
        });
      }
      const P = classIndices(p),
        L = classIndices(l);
      if (P.idx.length !== L.idx.length)
        throw new ClaraError(`ComputeAverageDice: '${mt.field}' [${p.shape.slice(1)}] and '${mt.labelField}' [${l.shape.slice(1)}] are on different grids`, {
          file,
          path: mt.path,
        });
      row[mt.name] = diceOfClass(P.idx, L.idx, 1);
    }
    perCase.push(row);
    for (const w of writers) {
      const t = s[w.field];
      if (!isTensor(t)) throw new ClaraError(`WriteNifti: no field '${w.field}' after the post-transforms`, { file, path: 'writers' });
      const meta = (s[`${w.field}_meta_dict`] as MetaDict | undefined) ?? im;
      const out = monaiOutputPath(src, { outputDir: w.writePath, postfix: w.field, ext: '.nii.gz', separateFolder: true });
      mkdirSync(dirname(out), { recursive: true });
      const c = t.shape[0];
      if (c !== 1)
        throw new ClaraError(`WriteNifti: field '${w.field}' has ${c} channels; write a one-channel field (after ArgmaxAcrossChannels / SplitBasedOnLabel)`, {
          file,
          path: 'writers',
        });
      await writeNifti(
        out,
        {
          data: t.data,
          shape: t.shape.slice(1),
          affine: meta?.affine ?? [
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            [0, 0, 1, 0],
            [0, 0, 0, 1],
          ],
        },
        { dtype: w.dtype },
      );
      outputs.push(out);
    }
    const shown = Object.entries(row)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(' ');
    log(`case ${i + 1}/${data.length} ${src.replace(/^.*\//, '')}${shown ? ' ' + shown : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  tf.dispose(net.namedWeights().map((w) => w.variable));
  const means: Record<string, number> = {};
  for (const mt of metrics) {
    const v = perCase.map((r) => r[mt.name]).filter((x) => x !== undefined);
    if (v.length) means[mt.name] = caseMean(v);
  }
  // one MetricsSaver-format report per report_path
  for (const dir of new Set(metrics.map((mt) => mt.reportPath))) {
    const here = metrics.filter((mt) => mt.reportPath === dir && means[mt.name] !== undefined);
    if (!here.length) continue;
    outputs.push(
      ...writeMetricsReports({
        saveDir: dir,
        images,
        metrics: Object.fromEntries(here.map((mt) => [mt.name, means[mt.name]])),
        details: Object.fromEntries(here.map((mt) => [mt.name, perCase.map((r) => [r[mt.name] ?? NaN])])),
      }),
    );
  }
  const key = metrics[0]?.name;
  if (key && means[key] !== undefined) log(`${key} ${means[key].toFixed(4)} over ${data.length} case(s)`);
  return { metrics: means, keyMetricName: key, cases: data.length, outputs, model: weights };
}
