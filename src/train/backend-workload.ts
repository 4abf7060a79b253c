// What the backend choice measures for a training job: its model (registry name + args)
// on a batch of its training crops (batch size × samples per item, crop size, input
// channels), read from the train config without building anything.
import type { LoadedMmar } from '../mmar/load.js';
import { enabledComponent, nameOf } from './build-setup.js';

export interface TrainWorkload {
  model: { name: string; args: Record<string, unknown> };
  /** NDHWC input of one train step. */
  input: [number, number, number, number, number];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first value of one of `keys` found walking `v` depth-first. */
function findKey(v: unknown, keys: string[], ok: (x: unknown) => boolean): unknown {
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = findKey(x, keys, ok);
      if (r !== undefined) return r;
    }
  } else if (isObj(v)) {
    for (const k of keys) if (ok(v[k])) return v[k];
    for (const x of Object.values(v)) {
      const r = findKey(x, keys, ok);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

const size3 = (x: unknown): boolean => Array.isArray(x) && x.length === 3 && x.every((n) => Number.isInteger(n) && (n as number) > 0);
const posInt = (x: unknown): boolean => Number.isInteger(x) && (x as number) > 0;

/** undefined when the config's model is not a registry model (BYOC by path) or has no crop size. */
export function trainWorkload(m: LoadedMmar): TrainWorkload | undefined {
  const json = m.train.json as Obj;
  const model = enabledComponent(json, 'train', 'model', m.train.file);
  if (!model || model.node.path) return undefined;
  const train = json.train;
  const crop = findKey(train, ['spatial_size', 'roi_size', 'patch_size', 'size'], size3) as number[] | undefined;
  if (!crop) return undefined;
  const batch = (findKey(train, ['batch_size', 'output_batch_size'], posInt) as number | undefined) ?? 1;
  const samples = (findKey(train, ['num_samples', 'batches_per_image'], posInt) as number | undefined) ?? 1;
  const args = isObj(model.node.args) ? model.node.args : {};
  const inCh = (['in_channels', 'num_input_channels', 'input_channels'].map((k) => args[k]).find(posInt) as number | undefined) ?? 1;
  return { model: { name: nameOf(model.node), args }, input: [batch * samples, crop[0], crop[1], crop[2], inCh] };
}
