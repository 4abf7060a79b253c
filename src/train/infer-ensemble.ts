// Inference with several exported models (an ensemble folder's members, or the folds of a
// cross-validation), optionally with mirror TTA and the recorded postprocessing. Each case's
// mean probabilities are argmaxed, resampled back onto the input image's grid, postprocessed
// there, written as uint8 labels, and scored against a label file when one is given (Dice,
// HD95 and NSD per foreground class, in the image's physical spacing).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registry } from '../config/registry.js';
import { readNifti, writeNifti } from '../io/nifti/index.js';
import { identityAffine } from '../io/volume.js';
import { hausdorffPerClass, surfaceDicePerClass } from '../metrics/surface-metrics.js';
import { spacingOf } from '../metrics/surface-distance.js';
import { composeFromConfig } from '../transforms/build.js';
import { ClaraError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { asCaseSource, asInferer } from './adapters.js';
import { disposeCheckpoint } from './checkpoint.js';
import { Evaluator } from './evaluator.js';
import { diceOfClass } from '../metrics/dice.js';
import { networkFromCheckpoint, readExportMetadata, type ExportMetadata } from './export-model.js';
import { ensembleInferer, type EnsembleMember } from './inference/ensemble.js';
import { applyPostprocessing, type PostprocessingDecision, type PredictedCase } from './inference/postprocessing.js';
import { resampleLabels, sameGrid } from './resample-labels.js';

export const ENSEMBLE_FILE = 'ensemble.json';
export const ENSEMBLE_FORMAT = 'clara-train-ensemble/1';
/** NSD tolerance (mm) when none is given. */
export const DEFAULT_NSD_TOLERANCE = 2;

export interface EnsembleManifest {
  format: string;
  /** Exported model folders, relative to the ensemble folder. */
  members: string[];
  /** nnU-Net's largest-component decision, made on the cross-validation predictions. */
  postprocessing: Pick<PostprocessingDecision, 'largest_component_classes'> | null;
  nsd_tolerance_mm?: number;
  created?: string;
}

/** The manifest of an ensemble folder, or undefined when the folder is not one. */
export function readEnsembleManifest(dir: string): EnsembleManifest | undefined {
  const f = join(dir, ENSEMBLE_FILE);
  if (!existsSync(f)) return undefined;
  let j: EnsembleManifest;
  try {
    j = JSON.parse(readFileSync(f, 'utf8')) as EnsembleManifest;
  } catch (e) {
    throw new ClaraError(`not valid JSON: ${(e as Error).message}`, { file: f });
  }
  if (j.format !== ENSEMBLE_FORMAT) throw new ClaraError(`format is '${j.format}', expected '${ENSEMBLE_FORMAT}'`, { file: f, path: 'format' });
  if (!Array.isArray(j.members) || j.members.length === 0 || j.members.some((m) => typeof m !== 'string'))
    throw new ClaraError('expected a non-empty list of member folders', { file: f, path: 'members' });
  const pp = j.postprocessing;
  if (
    pp !== null &&
    pp !== undefined &&
    (!Array.isArray(pp.largest_component_classes) || pp.largest_component_classes.some((c) => !Number.isInteger(c) || c < 1))
  ) {
    throw new ClaraError('expected {"largest_component_classes": [class, ...]} or null', { file: f, path: 'postprocessing' });
  }
  return j;
}

export interface LoadedMember extends EnsembleMember {
  meta: ExportMetadata;
  dir: string;
}

/** An exported model folder as an ensemble member (network, inferer, output activation). */
export function loadMember(dir: string): LoadedMember {
  const abs = resolve(dir);
  const meta = readExportMetadata(abs);
  if (!meta) throw new ClaraError('not an exported model folder (no metadata.json)', { file: abs });
  const { net, ck } = networkFromCheckpoint(abs);
  disposeCheckpoint(ck);
  const place = { file: join(abs, 'metadata.json'), path: 'inferer' };
  const inf = meta.inferer
    ? registry
        .require(String(meta.inferer.name), { ...place, path: 'inferer.name' }, 'inferer')
        .factory((meta.inferer.args ?? {}) as Record<string, unknown>, place)
    : undefined;
  return { net, inferer: asInferer(inf, place), activation: meta.output.activation, meta, dir: abs, name: abs };
}

export function disposeMembers(ms: LoadedMember[]): void {
  for (const m of ms) tf.dispose(m.net.namedWeights().map((w) => w.variable));
}

export interface CaseInput {
  image: string;
  label?: string;
}
export interface CaseScores {
  dice: number;
  hd95: number;
  nsd: number;
}

interface EnsembleInferOptions {
  members: LoadedMember[];
  cases: CaseInput[];
  /** Write <case>_seg.nii.gz here (nothing is written without it). */
  output?: string;
  tta?: boolean;
  postprocessing?: Pick<PostprocessingDecision, 'largest_component_classes'> | null;
  nsdTolerance?: number;
  /** Keep every labelled case's prediction and label (for the postprocessing decision). */
  keepPredictions?: boolean;
  log?: (s: string) => void;
}

interface EnsembleInferResult {
  outputs: string[];
  /** Per case id: scores of the raw prediction and, when postprocessing is given, of the postprocessed one. */
  perCase: Record<string, { raw: CaseScores; post?: CaseScores }>;
  mean: { raw: CaseScores; post?: CaseScores } | undefined;
  predictions: PredictedCase[];
}

function meanDefined(xs: number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/** Mean over foreground classes of Dice, HD95 and NSD for one case (NaN where a class is undefined). */
export function scoreCase(pred: Int32Array, label: Int32Array, shape: number[], spacing: number[], numClasses: number, tolerance: number): CaseScores {
  const cls = Array.from({ length: numClasses - 1 }, (_, i) => i + 1);
  const geom = { shape, spacing };
  return {
    dice: meanDefined(cls.map((c) => diceOfClass(pred, label, c))),
    hd95: meanDefined(hausdorffPerClass(pred, label, cls, geom, 95)),
    nsd: meanDefined(surfaceDicePerClass(pred, label, cls, geom, tolerance)),
  };
}

export function meanScores(rows: CaseScores[]): CaseScores {
  return { dice: meanDefined(rows.map((r) => r.dice)), hd95: meanDefined(rows.map((r) => r.hd95)), nsd: meanDefined(rows.map((r) => r.nsd)) };
}

export async function runEnsembleInfer(o: EnsembleInferOptions): Promise<EnsembleInferResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const first = o.members[0];
  if (!first) throw new Error('an ensemble needs at least one model');
  const K = first.meta.output.channels;
  for (const m of o.members) {
    if (m.meta.output.channels !== K)
      throw new ClaraError(`this model has ${m.meta.output.channels} output channels, the first member ${K}: an ensemble needs one label set`, {
        file: join(m.dir, 'metadata.json'),
        path: 'output.channels',
      });
  }
  const numClasses = K === 1 ? 2 : K;
  const tolerance = o.nsdTolerance ?? DEFAULT_NSD_TOLERANCE;
  const place = { file: join(first.dir, 'metadata.json'), path: 'pre_transforms' };
  const compose = composeFromConfig(first.meta.pre_transforms, place, 0);
  const labelOf = new Map<string, string | undefined>();
  const loader = {
    async *epoch() {
      for (const c of o.cases) {
        const image = resolve(c.image);
        labelOf.set(image, c.label ? resolve(c.label) : undefined);
        yield await compose.apply({ image }, new Rng(0));
      }
    },
  };
  if (o.output) mkdirSync(resolve(o.output), { recursive: true });
  const outputs: string[] = [];
  const perCase: EnsembleInferResult['perCase'] = {};
  const predictions: PredictedCase[] = [];
  await new Evaluator({
    net: first.net,
    inferer: ensembleInferer(o.members, o.tta ?? false),
    cases: asCaseSource(loader, place, { image: 'image', label: '__none__' }),
    metrics: [],
    log: () => {},
    onPrediction: async (c, pred, shape) => {
      const affine = c.affine ?? identityAffine();
      const back = c.originalAffine && c.originalShape && !sameGrid(affine, shape, c.originalAffine, c.originalShape);
      const outShape = back ? c.originalShape! : shape,
        outAffine = back ? c.originalAffine! : affine;
      const raw = back ? Int32Array.from(resampleLabels(pred, shape, affine, c.originalShape!, c.originalAffine!)) : pred.slice();
      const post = o.postprocessing ? applyPostprocessing(raw, outShape, o.postprocessing) : raw;
      const name = `${(c.file ? basename(c.file) : c.id).replace(/\.nii(\.gz)?$/, '')}_seg.nii.gz`;
      if (o.output) {
        const file = join(resolve(o.output), name);
        await writeNifti(file, { data: Uint8Array.from(post), shape: outShape, affine: outAffine }, { dtype: 'uint8' });
        outputs.push(file);
        log(`wrote ${file}`);
      }
      const labelFile = c.file ? labelOf.get(c.file) : undefined;
      if (labelFile) {
        const lab = await readNifti(labelFile);
        if (lab.data.length !== raw.length)
          throw new ClaraError(`the label has ${lab.data.length} voxels, the image ${raw.length}: they must share a grid`, { file: labelFile });
        const label = Int32Array.from(lab.data as ArrayLike<number>, (v) => Math.round(v));
        const spacing = spacingOf(outAffine);
        const r = scoreCase(raw, label, outShape, spacing, numClasses, tolerance);
        perCase[c.id] = { raw: r, post: o.postprocessing ? scoreCase(post, label, outShape, spacing, numClasses, tolerance) : undefined };
        if (o.keepPredictions) predictions.push({ pred: raw, label, shape: outShape, spacing });
      }
    },
  }).run();
  const rows = Object.values(perCase);
  const mean = rows.length ? { raw: meanScores(rows.map((r) => r.raw)), post: o.postprocessing ? meanScores(rows.map((r) => r.post!)) : undefined } : undefined;
  return { outputs, perCase, mean, predictions };
}

/** `infer --model DIR --input FILES`: DIR an ensemble folder (its members and postprocessing) or one exported model. */
export async function runInferWithEnsemble(o: {
  model: string;
  inputs: string[];
  output: string;
  tta?: boolean;
  postprocess?: boolean;
  extraModels?: string[];
  log?: (s: string) => void;
}): Promise<string[]> {
  const dir = resolve(o.model);
  const manifest = readEnsembleManifest(dir);
  const dirs = manifest ? manifest.members.map((m) => join(dir, m)) : [dir];
  dirs.push(...(o.extraModels ?? []).map((m) => resolve(m)));
  const members = dirs.map(loadMember);
  const pp = o.postprocess === false ? null : (manifest?.postprocessing ?? null);
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  log(
    `ensemble of ${members.length} model(s)${o.tta ? ', mirror TTA (8 flips)' : ''}${pp?.largest_component_classes.length ? `, largest component kept for class(es) ${pp.largest_component_classes.join(', ')}` : ''}`,
  );
  try {
    const r = await runEnsembleInfer({ members, cases: o.inputs.map((image) => ({ image })), output: o.output, tta: o.tta, postprocessing: pp, log });
    return r.outputs;
  } finally {
    disposeMembers(members);
  }
}
