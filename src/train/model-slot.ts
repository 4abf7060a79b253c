// The `model` slot of Clara 4.x standalone configs (config_validation.json,
// config_inference.json): one entry or a list of alternatives switched by "disabled",
//   {"ts_path": "{MMAR_TORCHSCRIPT}"}  → the folder `clara-train export` writes (models/export;
//                                         Clara's `models/model.ts` name maps to it),
//   {"ckpt_path": "{MMAR_CKPT}"}       → a clara-train checkpoint (models/best; Clara's
//                                         `models/model.pt` maps to it),
//   or a model component ({"name": "UNet", ...}) whose weights a CheckpointLoader handler loads.
// A real TorchScript archive or PyTorch checkpoint cannot run here: the error says so and
// what to use instead.
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isPlainObject } from '../util/json-file.js';
import { isDisabled } from '../config/tree.js';
import { ClaraError, joinPath } from '../util/errors.js';
import { disposeCheckpoint, loadCheckpoint, resolveCheckpointPath } from './checkpoint.js';
import { networkFromCheckpoint } from './export-model.js';
import { asNetwork, assignWeights, type TrainableNetwork } from './network.js';
import type { ConfigBuilder } from '../config/build.js';

type Obj = Record<string, unknown>;

interface ModelSlotEntry {
  kind: 'torchscript' | 'checkpoint' | 'component';
  node: Obj;
  /** JSON path of the entry (`model[0]`). */
  path: string;
}

/** The one enabled entry of the model slot at `key`. */
export function enabledModelEntry(json: Obj, key: string, file: string): ModelSlotEntry {
  const v = json[key];
  if (v === undefined)
    throw new ClaraError(`no "${key}": the config needs a model entry ({"ts_path": ...}, {"ckpt_path": ...} or a model component)`, { file, path: key });
  const list = Array.isArray(v) ? v.map((x, i) => ({ x, path: joinPath(key, i) })) : [{ x: v, path: key }];
  const on = list.filter(({ x, path }) => {
    if (!isPlainObject(x)) throw new ClaraError(`expected a model entry object, found ${JSON.stringify(x)}`, { file, path });
    return !isDisabled({ disabled: x.disabled, path }, file);
  });
  if (on.length !== 1) {
    throw new ClaraError(
      `"${key}" has ${list.length} entr${list.length === 1 ? 'y' : 'ies'} and ${on.length} enabled; exactly one must be (switch them with "disabled", e.g. --set dont_load_ts_model=true dont_load_ckpt_model=false)`,
      { file, path: key },
    );
  }
  const { x, path } = on[0] as { x: Obj; path: string };
  if (typeof x.ts_path === 'string') return { kind: 'torchscript', node: x, path };
  if (typeof x.ckpt_path === 'string') return { kind: 'checkpoint', node: x, path };
  if (typeof x.name === 'string' || typeof x.path === 'string') return { kind: 'component', node: x, path };
  throw new ClaraError('a model entry needs "ts_path", "ckpt_path" or a component "name"', { file, path });
}

function isZip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
  } finally {
    closeSync(fd);
  }
}

/** Where the TorchScript slot's weights are: the export folder (Clara's `*.ts` name maps to `export` beside it). */
export function torchScriptSlotPath(p: string, place: { file: string; path: string }): string {
  const abs = resolve(p);
  if (existsSync(abs) && statSync(abs).isFile()) {
    if (basename(abs) === 'model.json') return abs;
    throw new ClaraError(
      `${abs} is ${isZip(abs) ? 'a TorchScript archive' : 'a file'}, which clara-train cannot run (TorchScript needs PyTorch's runtime); ` +
        `the TorchScript slot takes the folder \`clara-train export\` writes: --set MMAR_TORCHSCRIPT=${join(dirname(abs), 'export')}`,
      place,
    );
  }
  const dir = /\.(ts|pt|pth|jit)$/.test(abs) && !existsSync(abs) ? join(dirname(abs), 'export') : abs;
  if (!existsSync(join(dir, 'model.json'))) {
    throw new ClaraError(
      `no exported model at ${dir} (the TorchScript slot is the folder \`clara-train export\` writes: run it after train, or set MMAR_TORCHSCRIPT)`,
      place,
    );
  }
  return join(dir, 'model.json');
}

/** Where the checkpoint slot's weights are (Clara's `models/model.pt` maps to `models/best`). */
export function checkpointSlotPath(p: string, place: { file: string; path: string }): string {
  const abs = resolve(p);
  if (existsSync(abs) && statSync(abs).isFile() && basename(abs) !== 'model.json') {
    throw new ClaraError(
      `${abs} is a PyTorch checkpoint file, which clara-train cannot load; its checkpoints are TensorFlow.js folders (models/best, models/last): --set MMAR_CKPT=${join(dirname(abs), 'best')}`,
      place,
    );
  }
  const mj = resolveCheckpointPath(abs);
  if (!existsSync(mj))
    throw new ClaraError(`no checkpoint at ${dirname(mj)} (train first, or set MMAR_CKPT to a checkpoint folder such as models/best)`, place);
  return mj;
}

interface LoadedModel {
  net: TrainableNetwork;
  /** The model.json the weights came from. */
  weights: string;
  /** Which slot or handler gave them (JSON path, or --model). */
  from: string;
}

/**
 * Builds the network of a standalone config: `override` (--model) wins; else the enabled model
 * entry; a CheckpointLoader's `load_path` (when given) then loads the weights into it.
 */
export function loadSlotModel(o: {
  json: Obj;
  file: string;
  root: string;
  key: string;
  builder: ConfigBuilder;
  override?: string;
  checkpointLoader?: { loadPath: string; path: string };
}): LoadedModel {
  const { json, file, key, builder } = o;
  if (o.override) {
    const mj = resolveCheckpointPath(resolve(o.override));
    if (!existsSync(mj)) throw new ClaraError('--model: no model.json here', { file: mj });
    const { net, ck } = networkFromCheckpoint(mj);
    disposeCheckpoint(ck);
    return { net, weights: mj, from: '--model' };
  }
  const e = enabledModelEntry(json, key, file);
  let net: TrainableNetwork;
  let weights = '';
  if (e.kind === 'component') {
    net = asNetwork(builder.build(e.path), { file, path: e.path });
  } else {
    const p = String(e.kind === 'torchscript' ? e.node.ts_path : e.node.ckpt_path);
    const place = { file, path: `${e.path}.${e.kind === 'torchscript' ? 'ts_path' : 'ckpt_path'}` };
    weights = e.kind === 'torchscript' ? torchScriptSlotPath(resolve(o.root, p), place) : checkpointSlotPath(resolve(o.root, p), place);
    const r = networkFromCheckpoint(weights);
    disposeCheckpoint(r.ck);
    net = r.net;
  }
  let from = e.path;
  if (o.checkpointLoader) {
    const place = { file, path: `${o.checkpointLoader.path}.args.load_path` };
    const mj = checkpointSlotPath(resolve(o.root, o.checkpointLoader.loadPath), place);
    if (mj !== weights) {
      const ck = loadCheckpoint(mj);
      try {
        assignWeights(net, ck.weights, ck.weightNames, ck.modelJson);
      } finally {
        disposeCheckpoint(ck);
      }
      weights = mj;
      from = o.checkpointLoader.path;
    }
  }
  if (!weights)
    throw new ClaraError('the model component has no weights: enable a CheckpointLoader handler (load_path) or give --model', { file, path: e.path });
  return { net, weights, from };
}
