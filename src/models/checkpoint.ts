// Checkpoints: a folder with model.json (format, architecture spec, tfjs weights manifest,
// extra metadata) and weights.bin (tfjs weight encoding). Both are written to temp names and
// renamed, the manifest last, so a crash never leaves a folder whose model.json is broken.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SegModel } from './seg-model.js';
import type { Optimizer } from '../optimizers/optimizer.js';

const OPT_PREFIX = 'optimizer/';

export const CHECKPOINT_FORMAT = 'clara-train-checkpoint/1';

export interface CheckpointManifest {
  format: string;
  model?: { name: string; args: Record<string, unknown> };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  meta?: Record<string, unknown>;
}

/** Writes the model's weights and buffers (and the optimizer's state when given) to `dir`. */
export async function saveCheckpoint(model: SegModel, dir: string, meta: Record<string, unknown> = {}, optimizer?: Optimizer): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const named: { name: string; tensor: tf.Tensor }[] = model.store.named().map(([name, tensor]) => ({ name, tensor }));
  if (optimizer) {
    const st = optimizer.getState();
    for (const [k, t] of st.slots) named.push({ name: OPT_PREFIX + k, tensor: t });
    meta = { ...meta, optimizer: { name: optimizer.name, step: st.step, lr: optimizer.lr } };
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    model: model.spec,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    meta: { arch: model.arch, paramCount: model.paramCount(), ...meta },
  };
  const tag = `.tmp-${process.pid}`;
  writeFileSync(join(dir, `weights.bin${tag}`), Buffer.from(data));
  writeFileSync(join(dir, `model.json${tag}`), JSON.stringify(manifest, null, 1));
  renameSync(join(dir, `weights.bin${tag}`), join(dir, 'weights.bin'));
  renameSync(join(dir, `model.json${tag}`), join(dir, 'model.json'));
}

export function readCheckpointManifest(dir: string): CheckpointManifest {
  const file = join(dir, 'model.json');
  if (!existsSync(file)) throw new Error(`${file}: no checkpoint here (model.json missing)`);
  let m: CheckpointManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as CheckpointManifest;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (m.format !== CHECKPOINT_FORMAT) throw new Error(`${file}: format is '${m.format}', expected '${CHECKPOINT_FORMAT}'`);
  return m;
}

/**
 * Loads a checkpoint's weights into `model`; names and shapes must match exactly (strict = true).
 * With `optimizer`, its state is restored too when the checkpoint has one of the same kind.
 */
export function loadCheckpoint(model: SegModel, dir: string, strict = true, optimizer?: Optimizer): CheckpointManifest {
  const m = readCheckpointManifest(dir);
  const group = m.weightsManifest[0];
  const bin = readFileSync(join(dir, group.paths[0]));
  const tensors = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), group.weights);
  const ours = new Map(model.store.named());
  const file = join(dir, 'model.json');
  const optSlots = new Map<string, tf.Tensor>();
  for (const k of Object.keys(tensors)) {
    if (k.startsWith(OPT_PREFIX)) { optSlots.set(k.slice(OPT_PREFIX.length), tensors[k]); delete tensors[k]; }
  }
  const optMeta = m.meta?.optimizer as { name: string; step: number; lr: number } | undefined;
  if (optimizer && optMeta && optMeta.name === optimizer.name) {
    optimizer.setState({ step: optMeta.step, slots: optSlots });
  }
  optSlots.forEach((t) => t.dispose());
  if (strict) {
    const missing = [...ours.keys()].filter((k) => !(k in tensors));
    const extra = Object.keys(tensors).filter((k) => !ours.has(k));
    if (missing.length || extra.length) {
      Object.values(tensors).forEach((t) => t.dispose());
      throw new Error(`${file}: weights do not match the model: missing [${missing.slice(0, 8).join(', ')}], unexpected [${extra.slice(0, 8).join(', ')}]`);
    }
  }
  for (const [name, t] of Object.entries(tensors)) {
    const v = ours.get(name);
    if (v) {
      if (v.shape.join(',') !== t.shape.join(',')) throw new Error(`${file}: weight '${name}' has shape [${t.shape}], the model needs [${v.shape}]`);
      v.assign(t);
    }
    t.dispose();
  }
  return m;
}
