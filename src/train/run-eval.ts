// `validate` and `infer` from an MMAR: the trained weights (MMAR_CKPT, models/best by
// default, or an exported model folder) through the validate section's data and inferer.
// validate → MMAR_EVAL_OUTPUT_PATH/metrics.json with per-case metrics;
// infer → one uint8 label NIfTI per case (the case's affine) in MMAR_EVAL_OUTPUT_PATH.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { LoadedMmar } from '../mmar/load.js';
import { loadMmarWithOverrides as loadMmar } from './load-with-overrides.js';
import { initEngine } from '../engine/index.js';
import { writeNifti } from '../io/nifti/index.js';
import { identityAffine } from '../io/volume.js';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { ClaraError } from '../util/errors.js';
import { buildEvalParts, buildModelParts, type ModelParts } from './build-setup.js';
import { disposeCheckpoint, loadCheckpoint, resolveCheckpointPath } from './checkpoint.js';
import { Evaluator, type EvaluationResult } from './evaluator.js';
import { assignWeights } from './network.js';
import { EXPORT_METADATA_FILE, networkFromCheckpoint } from './export-model.js';
import { resampleLabels, sameGrid } from './resample-labels.js';

export interface EvalRunOptions {
  mmarRoot: string;
  config?: string;
  set?: string[];
  /** Weights to use: a checkpoint folder, model.json, or an exported model folder (default MMAR_CKPT, else models/best). */
  model?: string;
  /** Datalist key of the cases (default: the validate dataset's, usually "validation"). */
  dataKey?: string;
  /** Output folder (default MMAR_EVAL_OUTPUT_PATH). */
  output?: string;
  log?: (s: string) => void;
}

async function prepare(o: EvalRunOptions): Promise<{ m: LoadedMmar; parts: ModelParts; weights: string; log: (s: string) => void }> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const m = loadMmar(o.mmarRoot, { config: o.config, set: o.set, automl: false });
  const engine = await initEngine({ amp: false, log });
  log(`backend ${engine.backend.name}${engine.backend.nativeKernels ? '+native' : ''}`);
  let weights = '';
  if (o.model) {
    weights = resolveCheckpointPath(resolve(o.model));
    if (!existsSync(weights)) throw new ClaraError('--model: no model.json here', { file: weights });
    // An exported (or our own) checkpoint says which architecture it holds: rebuild that one.
    const meta = loadCheckpoint(weights);
    const spec = meta.meta.model;
    disposeCheckpoint(meta);
    if (spec?.name) {
      const { net, ck } = networkFromCheckpoint(weights);
      disposeCheckpoint(ck);
      const parts = await buildModelParts(m, log, { net, modelSpec: spec });
      log(`model ${spec.name} and weights from ${weights}`);
      return { m, parts, weights, log };
    }
  }
  const parts = await buildModelParts(m, log);
  if (o.model) weights = resolveCheckpointPath(resolve(o.model));
  else {
    const cands = [parts.ckpt, join(parts.ckptDir, 'best'), join(parts.ckptDir, 'last')].filter((x): x is string => !!x).map(resolveCheckpointPath);
    const found = cands.find((c) => existsSync(c));
    if (!found) throw new ClaraError(`no trained model: none of ${cands.join(', ')} exists (train first, or give --model)`, { file: cands[0] });
    weights = found;
  }
  const ck = loadCheckpoint(weights);
  try {
    assignWeights(parts.net, ck.weights, ck.weightNames, ck.modelJson);
  } finally {
    disposeCheckpoint(ck);
  }
  log(`weights from ${weights}`);
  return { m, parts, weights, log };
}

export interface ValidateResult extends EvaluationResult {
  keyMetricName: string;
  output: string;
}

export async function runValidate(o: EvalRunOptions): Promise<ValidateResult> {
  const { m, parts, weights, log } = await prepare(o);
  const ev = buildEvalParts(m, parts, o.dataKey);
  if (!ev) throw new ClaraError('the config has no validate section', { file: parts.file, path: 'validate' });
  for (const n of parts.notices) log(`notice: ${n}`);
  const t0 = Date.now();
  const r = await new Evaluator({ net: parts.net, inferer: ev.inferer, cases: ev.cases, metrics: ev.metrics, log }).run();
  const outDir = o.output ? resolve(o.output) : parts.evalDir;
  mkdirSync(outDir, { recursive: true });
  const output = join(outDir, 'metrics.json');
  const clean = (x: number) => (Number.isFinite(x) ? x : null);
  writeJsonAtomic(output, {
    key_metric_name: ev.keyMetricName,
    key_metric: clean(r.metrics[ev.keyMetricName]),
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, clean(v)])),
    cases: r.cases,
    per_case: Object.fromEntries(Object.entries(r.perCase).map(([id, ms]) => [id, Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, clean(v)]))])),
    model: weights,
    config: m.paths.trainConfig,
    time_s: (Date.now() - t0) / 1000,
  });
  log(`${ev.keyMetricName} ${r.metrics[ev.keyMetricName]?.toFixed(4)} over ${r.cases} case(s) → ${output}`);
  return { ...r, keyMetricName: ev.keyMetricName, output };
}

export interface InferResult {
  outputs: string[];
  metrics: EvaluationResult;
}

export async function runInfer(o: EvalRunOptions): Promise<InferResult> {
  const { m, parts, log } = await prepare(o);
  const ev = buildEvalParts(m, parts, o.dataKey);
  if (!ev) throw new ClaraError('the config has no validate section (infer runs its data pipeline and inferer)', { file: parts.file, path: 'validate' });
  const outDir = o.output ? resolve(o.output) : parts.evalDir;
  mkdirSync(outDir, { recursive: true });
  const outputs: string[] = [];
  const r = await new Evaluator({
    net: parts.net,
    inferer: ev.inferer,
    cases: ev.cases,
    metrics: ev.metrics,
    log,
    onPrediction: async (c, pred, shape) => {
      const name = `${(c.file ? basename(c.file) : c.id).replace(/\.nii(\.gz)?$/, '')}_seg.nii.gz`;
      const file = join(outDir, name);
      const affine = c.affine ?? identityAffine();
      let data: Uint8Array;
      let outShape = shape,
        outAffine = affine;
      if (c.originalAffine && c.originalShape && !sameGrid(affine, shape, c.originalAffine, c.originalShape)) {
        // the pre-transforms moved the grid (Spacingd, CropForegroundd ...): back onto the image's
        data = resampleLabels(pred, shape, affine, c.originalShape, c.originalAffine);
        outShape = c.originalShape;
        outAffine = c.originalAffine;
      } else {
        data = new Uint8Array(pred.length);
        for (let i = 0; i < pred.length; i++) data[i] = pred[i];
      }
      await writeNifti(file, { data, shape: outShape, affine: outAffine }, { dtype: 'uint8' });
      outputs.push(file);
      log(`wrote ${file}`);
    },
  }).run();
  return { outputs, metrics: r };
}

export { EXPORT_METADATA_FILE };
