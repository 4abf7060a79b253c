// Checkpoints in TensorFlow.js's format: a folder with model.json (weightsManifest,
// optional layers topology) and weights.bin, plus clara-train's own metadata and,
// for the `last` checkpoint, the optimizer state and the training state needed to
// resume. Folders are replaced atomically (util/atomic-fs): a crash while saving
// leaves the previous checkpoint intact.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ClaraError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import type { NamedTensor } from './components.js';
import { recoverDir, replaceDirAtomic } from '../util/atomic-fs.js';
import { firstNonFiniteWeight, NonFiniteError } from './non-finite.js';

export const CHECKPOINT_FORMAT_VERSION = 1;

/** How to rebuild the network a checkpoint's weights belong to. */
export interface ModelSpec {
  /** Registry name (e.g. `UNet`) or BYOC `path`. */
  name?: string;
  path?: string;
  args: Record<string, unknown>;
}

/** The training state a `last` checkpoint carries so that `train --resume` continues. */
export interface TrainState {
  /** Epochs completed (1-based count). */
  epoch: number;
  totalEpochs: number;
  globalStep: number;
  bestKeyMetric: number | null;
  bestKeyMetricEpoch: number | null;
  /** Seed of the data/shuffle stream for the next epoch. */
  rngSeed: number;
}

export interface CheckpointMeta {
  kind: 'best' | 'last' | 'export' | string;
  model?: ModelSpec;
  /** Epoch the weights come from. */
  epoch?: number;
  keyMetricName?: string;
  keyMetric?: number | null;
  /** Anything else the writer wants kept (backend, amp, config file ...). */
  [extra: string]: unknown;
}

export interface CheckpointContent {
  weights: NamedTensor[];
  /** A tf.LayersModel's topology (model.toJSON), when the network is one. */
  topology?: object;
  meta: CheckpointMeta;
  optimizer?: NamedTensor[];
  state?: TrainState;
  /** Extra files to put in the folder (name → content), e.g. export metadata. */
  extraFiles?: Record<string, string | Uint8Array>;
}

export interface LoadedCheckpoint {
  dir: string;
  modelJson: string;
  weights: tf.NamedTensorMap;
  /** The order the weights were saved in. */
  weightNames: string[];
  topology?: object;
  meta: CheckpointMeta;
  optimizer?: NamedTensor[];
  state?: TrainState;
}

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: string | null;
  modelTopology?: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  clara: {
    version: number;
    meta: CheckpointMeta;
    optimizer?: { path: string; weights: tf.io.WeightsManifestEntry[] };
    state?: TrainState;
  };
}

async function encode(tensors: NamedTensor[]): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return { data: new Uint8Array(data), specs };
}

/** Writes a checkpoint folder atomically; returns the path of its model.json. */
export async function saveCheckpoint(dir: string, c: CheckpointContent): Promise<string> {
  const bad = await firstNonFiniteWeight(c.weights);
  if (bad)
    throw new NonFiniteError(`weight '${bad.name}' holds ${bad.value} (element ${bad.index}): no checkpoint is written to ${dir} with non-finite weights`);
  const w = await encode(c.weights);
  const files: Record<string, string | Uint8Array> = { 'weights.bin': w.data };
  const json: ModelJson = {
    format: c.topology ? 'layers-model' : 'clara-weights',
    generatedBy: 'clara-train',
    convertedBy: null,
    ...(c.topology ? { modelTopology: c.topology } : {}),
    weightsManifest: [{ paths: ['weights.bin'], weights: w.specs }],
    clara: { version: CHECKPOINT_FORMAT_VERSION, meta: c.meta },
  };
  if (c.optimizer && c.optimizer.length > 0) {
    const o = await encode(c.optimizer);
    files['optimizer.bin'] = o.data;
    json.clara.optimizer = { path: 'optimizer.bin', weights: o.specs };
  }
  if (c.state) json.clara.state = c.state;
  for (const [name, data] of Object.entries(c.extraFiles ?? {})) files[name] = data;
  files['model.json'] = JSON.stringify(json, null, 1) + '\n';
  replaceDirAtomic(resolve(dir), files);
  return join(resolve(dir), 'model.json');
}

/**
 * The model.json a user's checkpoint path means: a folder holding model.json, a
 * model.json itself, or Clara's `models/model.pt` naming (mapped to `models/best`).
 */
export function resolveCheckpointPath(p: string): string {
  const abs = resolve(p);
  recoverDir(abs.endsWith('.json') ? dirname(abs) : abs);
  if (existsSync(abs) && statSync(abs).isDirectory()) return join(abs, 'model.json');
  if (abs.endsWith('.json')) return abs;
  const ext = basename(abs).match(/\.(pt|pth|ckpt|h5)$/);
  if (ext) {
    const stem = basename(abs).replace(/\.(pt|pth|ckpt|h5)$/, '');
    const mapped = join(dirname(abs), stem === 'model_final' ? 'last' : 'best');
    recoverDir(mapped);
    return join(mapped, 'model.json');
  }
  return join(abs, 'model.json');
}

/** Reads a checkpoint folder (or its model.json). Errors name the file. */
export function loadCheckpoint(p: string): LoadedCheckpoint {
  const modelJson = resolveCheckpointPath(p);
  if (!existsSync(modelJson)) throw new ClaraError(`no checkpoint here (expected a TensorFlow.js model.json with weights.bin)`, { file: modelJson });
  const dir = dirname(modelJson);
  const json = readJsonFile(modelJson) as ModelJson;
  if (!Array.isArray(json.weightsManifest))
    throw new ClaraError('no weightsManifest: not a TensorFlow.js model.json', { file: modelJson, path: 'weightsManifest' });
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const [gi, group] of json.weightsManifest.entries()) {
    for (const [pi, rel] of group.paths.entries()) {
      const f = join(dir, rel);
      if (!existsSync(f)) throw new ClaraError(`weights file ${rel} is missing`, { file: modelJson, path: `weightsManifest[${gi}].paths[${pi}]` });
      buffers.push(readFileSync(f));
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPer(s.dtype), 0);
  if (all.length !== expected)
    throw new ClaraError(`weights hold ${all.length} bytes, the manifest needs ${expected}: a truncated or mismatched weights file`, {
      file: modelJson,
      path: 'weightsManifest',
    });
  const weights = tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.length), specs);
  const out: LoadedCheckpoint = {
    dir,
    modelJson,
    weights,
    weightNames: specs.map((s) => s.name),
    topology: json.modelTopology,
    meta: json.clara?.meta ?? { kind: 'external' },
    state: json.clara?.state,
  };
  const o = json.clara?.optimizer;
  if (o) {
    const f = join(dir, o.path);
    if (existsSync(f)) {
      const b = readFileSync(f);
      const map = tf.io.decodeWeights(b.buffer.slice(b.byteOffset, b.byteOffset + b.length), o.weights);
      out.optimizer = o.weights.map((s) => ({ name: s.name, tensor: map[s.name] }));
    }
  }
  return out;
}

function bytesPer(dtype: string): number {
  return dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'bool' ? 1 : dtype === 'float16' ? 2 : 4;
}

/** Frees the tensors of a loaded checkpoint. */
export function disposeCheckpoint(c: LoadedCheckpoint): void {
  tf.dispose(Object.values(c.weights));
  if (c.optimizer) tf.dispose(c.optimizer.map((t) => t.tensor));
}
