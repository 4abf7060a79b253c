// `export`: a self-contained model folder — the weights in TensorFlow.js's format
// (model.json weightsManifest + weights.bin, with the layers topology when the network
// is a tf.LayersModel), and metadata.json: the architecture spec that rebuilds the
// network from the registry, input channels and ROI, spacing, the intensity transform,
// the image-only pre-transforms and inferer (as resolved config JSON), and the labels.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isPlainObject, readJsonFile } from '../util/json-file.js';
import { registry } from '../config/registry.js';
import type { LoadedMmar } from '../mmar/load.js';
import { ClaraError } from '../util/errors.js';
import { loadCheckpoint, disposeCheckpoint, saveCheckpoint, type LoadedCheckpoint, type ModelSpec } from './checkpoint.js';
import { asNetwork, assignWeights, snapshotWeights, type TrainableNetwork } from './network.js';
import type { ModelParts } from './build-setup.js';
import * as tf from '@tensorflow/tfjs';

export const EXPORT_METADATA_FILE = 'metadata.json';
export const EXPORT_FORMAT = 'clara-train-export/1';

type Obj = Record<string, unknown>;

export interface ExportMetadata {
  format: string;
  model: ModelSpec;
  input: { channels: number; roi_size?: number[]; spatial_divisor?: number[] };
  output: { channels: number; activation: 'softmax' | 'sigmoid' };
  spacing?: number[];
  intensity?: { name: string; args: Obj }[];
  /** Image-only pre-transforms (resolved config JSON) that `infer --model` runs on new images. */
  pre_transforms: Obj[];
  inferer?: Obj;
  labels?: Record<string, string>;
  key_metric?: { name: string; value: number | null; epoch?: number };
  source: { mmar: string; config: string; checkpoint: string };
  created: string;
}

function obj(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

function nameOf(c: Obj): string {
  return String(c.name ?? c.path ?? '').replace(/#.*$/, '');
}

/** The validate pre-transforms with 3.x `ref`s replaced by their targets, keys cut to the image. */
function imageOnlyTransforms(m: LoadedMmar): Obj[] {
  const json = m.train.json;
  const list = obj(json.validate)?.pre_transforms;
  if (!Array.isArray(list)) return [];
  const out: Obj[] = [];
  for (const raw of list) {
    if (!isPlainObject(raw)) continue;
    let c: Obj = raw;
    if (typeof raw.ref === 'string') {
      const target = m.train.index.get(raw.ref);
      if (!target) continue;
      c = target.raw;
    }
    if (c.disabled === true) continue;
    const args = { ...(obj(c.args) ?? {}) };
    let keep = true;
    for (const k of ['keys', 'fields']) {
      if (args[k] === undefined) continue;
      const ks = Array.isArray(args[k]) ? (args[k] as unknown[]) : [args[k]];
      const idx = ks.map((x, i) => (x === 'image' ? i : -1)).filter((i) => i >= 0);
      if (idx.length === 0) keep = false;
      else {
        args[k] = ['image'];
        // per-key lists (mode: ["bilinear", "nearest"]) keep the image's entry
        for (const [a, v] of Object.entries(args))
          if (a !== k && Array.isArray(v) && v.length === ks.length && ks.length > 1 && typeof v[0] !== 'number') args[a] = [v[idx[0]]];
      }
    }
    for (const k of ['label_key', 'source_key']) if (args[k] === 'label') keep = false;
    if (keep) out.push({ name: nameOf(c), args });
  }
  return out;
}

function labelsOf(m: LoadedMmar): Record<string, string> | undefined {
  const ds = m.train.vars.value('DATASET_JSON');
  if (typeof ds !== 'string' || !existsSync(ds)) return undefined;
  try {
    const j = readJsonFile(ds) as { labels?: Record<string, string> };
    return j.labels;
  } catch {
    return undefined;
  }
}

/** Writes the export folder; returns its path. */
export async function exportModel(m: LoadedMmar, parts: ModelParts, ck: LoadedCheckpoint, outDir: string): Promise<string> {
  if (!parts.modelSpec)
    throw new ClaraError('the model has no architecture spec to export (a BYOC model must expose `spec`)', { file: parts.file, path: 'train.model' });
  assignWeights(parts.net, ck.weights, ck.weightNames, ck.modelJson);
  const transforms = imageOnlyTransforms(m);
  const inferer = obj(obj(m.train.json.validate)?.inferer);
  const roi = obj(inferer?.args)?.roi_size as number[] | undefined;
  const spacingT = transforms.find((t) => ['Spacingd', 'ScaleByResolution', 'Spacing'].includes(String(t.name)));
  const spacing = (obj(spacingT?.args)?.pixdim ?? obj(spacingT?.args)?.target_resolution) as number[] | undefined;
  const inner = parts.net.inner as { inChannels?: number; outChannels?: number; sizeDivisor?: number[] } | undefined;
  const margs = parts.modelSpec.args;
  const outChannels = Number(inner?.outChannels ?? margs.out_channels ?? margs.num_classes ?? 2);
  const meta: ExportMetadata = {
    format: EXPORT_FORMAT,
    model: parts.modelSpec,
    input: { channels: Number(inner?.inChannels ?? margs.in_channels ?? 1), roi_size: roi, spatial_divisor: inner?.sizeDivisor },
    output: { channels: outChannels, activation: outChannels === 1 ? 'sigmoid' : 'softmax' },
    spacing,
    intensity: transforms.filter((t) => /Intensity|Normalize/.test(String(t.name))).map((t) => ({ name: String(t.name), args: obj(t.args) ?? {} })),
    pre_transforms: transforms,
    inferer: inferer ? { name: nameOf(inferer), args: obj(inferer.args) ?? {} } : undefined,
    labels: labelsOf(m),
    key_metric: ck.meta.keyMetricName
      ? { name: String(ck.meta.keyMetricName), value: (ck.meta.keyMetric as number | null) ?? null, epoch: ck.meta.epoch }
      : undefined,
    source: { mmar: m.paths.root, config: m.paths.trainConfig, checkpoint: ck.modelJson },
    created: new Date().toISOString(),
  };
  const weights = snapshotWeights(parts.net);
  try {
    await saveCheckpoint(outDir, {
      weights,
      topology: parts.net.topology?.(),
      meta: { kind: 'export', model: parts.modelSpec, epoch: ck.meta.epoch, keyMetricName: ck.meta.keyMetricName, keyMetric: ck.meta.keyMetric },
      extraFiles: { [EXPORT_METADATA_FILE]: JSON.stringify(meta, null, 2) + '\n' },
    });
  } finally {
    tf.dispose(weights.map((w) => w.tensor));
  }
  return resolve(outDir);
}

export function readExportMetadata(dir: string): ExportMetadata | undefined {
  const f = join(dir, EXPORT_METADATA_FILE);
  if (!existsSync(f)) return undefined;
  const j = readJsonFile(f) as ExportMetadata;
  if (j.format !== EXPORT_FORMAT) throw new ClaraError(`format is '${j.format}', expected '${EXPORT_FORMAT}'`, { file: f, path: 'format' });
  return j;
}

/** Rebuilds an exported (or checkpointed) network from its spec through the registry and loads its weights. */
export function networkFromCheckpoint(path: string): { net: TrainableNetwork; ck: LoadedCheckpoint } {
  const ck = loadCheckpoint(path);
  const spec = ck.meta.model;
  if (!spec?.name) {
    disposeCheckpoint(ck);
    throw new ClaraError('the checkpoint does not say which architecture it holds (no clara.meta.model)', { file: ck.modelJson });
  }
  const s = registry.require(spec.name, { file: ck.modelJson, path: 'clara.meta.model.name' }, 'model');
  const net = asNetwork(s.factory(spec.args, { file: ck.modelJson, path: 'clara.meta.model' }), { file: ck.modelJson, path: 'clara.meta.model' });
  assignWeights(net, ck.weights, ck.weightNames, ck.modelJson);
  return { net, ck };
}
