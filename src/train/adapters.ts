// From the components the config builds (each checked once against its contract in
// components/contracts.ts: loss, optimizer, lr policy, inferer) and the data area's
// loaders and samples to the plain shapes of components.ts that the trainer runs on.
import * as tf from '@tensorflow/tfjs';
import { ClaraError } from '../util/errors.js';
import type { Affine } from '../io/volume.js';
import type { Batch, BatchSource, Case, CaseSource, InfererFn, LossFn, LrSchedule, OptimizerLike } from './components.js';
import { checkContract, CONTRACTS, type Inferer, type Loss, type LrSchedule as LrScheduleContract, type Optimizer } from '../components/contracts.js';

type Place = { file?: string; path?: string };
type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null;
}

function method(o: unknown, names: string[]): ((...a: unknown[]) => unknown) | undefined {
  if (!isObj(o)) return undefined;
  for (const n of names) if (typeof o[n] === 'function') return (o[n] as (...a: unknown[]) => unknown).bind(o);
  return undefined;
}

/** A loss component (checked against its contract) → (logits, label) => scalar. */
export function asLossFn(l: unknown, place: Place): LossFn {
  const loss = checkContract<Loss | { forward: Loss }>(l, CONTRACTS.loss, place);
  if (typeof loss === 'function') return (p, y) => loss(p, y) as tf.Scalar;
  return (p, y) => loss.forward(p, y) as tf.Scalar;
}

const STEP_KEY = '__optimizer_step__';

/** The optimizer contract driven by the trainer with tf.variableGrads' output (variable name → gradient). */
function namedParamOptimizer(o: Optimizer, params: () => { name: string; variable: tf.Variable }[]): OptimizerLike {
  return {
    applyGradients(grads: tf.NamedTensorMap) {
      const ps = params();
      const map = new Map(ps.map((p) => [p.name, p.variable]));
      const byName = new Map<string, tf.Tensor>();
      for (const p of ps) if (grads[p.variable.name]) byName.set(p.name, grads[p.variable.name]);
      o.applyGradients(map, byName);
    },
    async getWeights() {
      const st = o.getState();
      return [{ name: STEP_KEY, tensor: tf.scalar(st.step) }, ...[...st.slots].map(([name, t]) => ({ name, tensor: t.clone() }))];
    },
    async setWeights(ws) {
      const step = ws.find((w) => w.name === STEP_KEY);
      o.setState({ step: step ? step.tensor.dataSync()[0] : 0, slots: new Map(ws.filter((w) => w.name !== STEP_KEY).map((w) => [w.name, w.tensor])) });
    },
    setLearningRate(lr: number) {
      o.lr = lr;
    },
    getLearningRate() {
      return o.lr;
    },
    dispose() {
      o.dispose?.();
    },
  } as OptimizerLike;
}

/** An optimizer component (checked against its contract) → what the trainer drives. */
export function asOptimizer(o: unknown, place: Place, params: () => { name: string; variable: tf.Variable }[]): OptimizerLike {
  return namedParamOptimizer(checkContract<Optimizer>(o, CONTRACTS.optimizer, place), params);
}

/** The learning rate an optimizer was configured with. */
export function optimizerLr(o: OptimizerLike, fallback: number): number {
  const x = o as unknown as { getLearningRate?: () => number };
  return typeof x.getLearningRate === 'function' ? x.getLearningRate() : fallback;
}

/** An lr policy/scheduler component (checked against its contract) → the trainer's per-iteration schedule. */
export function asLrSchedule(s: unknown, baseLr: number, place: Place): LrSchedule {
  const p = checkContract<LrScheduleContract>(s, CONTRACTS.lrSchedule, place);
  return {
    lr: (e, g, n, t) => p.lrAt(e, Math.max(0, n > 0 ? g - e * n : 0), { baseLr, epochs: t, iterationsPerEpoch: Math.max(1, n) }),
    perIteration: true,
  };
}

/** An inferer component (checked against its contract; none: the whole volume at once) → InfererFn. */
export function asInferer(i: unknown, place: Place): InfererFn {
  if (i === undefined) return (x, net) => net(x);
  const inf = checkContract<((x: tf.Tensor, net: (x: tf.Tensor) => tf.Tensor) => tf.Tensor | Promise<tf.Tensor>) | Inferer>(i, CONTRACTS.inferer, place);
  if (typeof inf === 'function') return (x, net) => inf(x, net);
  return (x, net) => inf.infer(x as tf.Tensor5D, net as (x: tf.Tensor5D) => tf.Tensor5D);
}

// ---- samples → tensors ----

interface ArrayLike5 {
  data: ArrayLike<number>;
  shape: number[];
}

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

/** Channel-first array [C, D, H, W] (or batched [N, C, D, H, W]) → NDHWC float tensor. */
export function toNDHWC(x: unknown, what: string, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  return tf.tidy(() => {
    let t: tf.Tensor;
    if (isTensor(x)) t = x;
    else if (isObj(x) && 'data' in x && 'shape' in x && Array.isArray((x as unknown as ArrayLike5).shape)) {
      const v = x as unknown as ArrayLike5;
      const data = v.data instanceof Float32Array || v.data instanceof Int32Array ? v.data : Float32Array.from(v.data);
      t = tf.tensor(data as Float32Array, v.shape);
    } else if (isObj(x) && 'image' in x === false && ArrayBuffer.isView(x)) {
      throw new Error(`${what}: a bare typed array has no shape`);
    } else throw new Error(`${what}: expected a tensor or {data, shape}, got ${Object.prototype.toString.call(x)}`);
    if (t.rank === 3) t = t.expandDims(0);
    if (t.rank === 4) t = t.expandDims(0);
    if (t.rank !== 5) throw new Error(`${what}: expected [C, D, H, W] or [N, C, D, H, W], got [${t.shape}]`);
    const out = t.shape[1] === 1 ? t.reshape([t.shape[0], t.shape[2]!, t.shape[3]!, t.shape[4]!, 1]) : t.transpose([0, 2, 3, 4, 1]);
    return out.dtype === dtype ? out : tf.cast(out, dtype);
  });
}

/** The sample dicts of one loader item: an array (nested for num_samples crops) or a single dict. */
function samplesOf(item: unknown): Obj[] {
  if (Array.isArray(item)) return item.flatMap((x) => samplesOf(x));
  if (isObj(item)) return [item];
  return [];
}

/** The data area's collated batch: {tensors: {key: {data, shape: [N, C, ...]}}, samples: [meta ...], size}. */
interface Collated {
  tensors: Record<string, unknown>;
  samples?: Obj[];
  size?: number;
}

function isCollated(x: unknown): x is Collated {
  return isObj(x) && isObj(x.tensors) && !Array.isArray(x.tensors);
}

/** Stacks the image/label of samples (or takes an already batched dict) into a Batch. */
export function toBatch(item: unknown, imageKey = 'image', labelKey = 'label'): Batch {
  if (isCollated(item)) {
    const t = item.tensors;
    if (!(imageKey in t) || !(labelKey in t))
      throw new Error(`the training batch has no '${imageKey}'/'${labelKey}' tensors (has: ${Object.keys(t).join(', ')})`);
    return { image: toNDHWC(t[imageKey], `batch '${imageKey}'`), label: toNDHWC(t[labelKey], `batch '${labelKey}'`) };
  }
  const samples = samplesOf(item);
  if (samples.length === 0) throw new Error('the data loader yielded an empty batch');
  const parts = samples.map((s, i) => {
    if (!(imageKey in s) || !(labelKey in s)) throw new Error(`training sample ${i} has no '${imageKey}'/'${labelKey}' (keys: ${Object.keys(s).join(', ')})`);
    return { image: toNDHWC(s[imageKey], `sample ${i} '${imageKey}'`), label: toNDHWC(s[labelKey], `sample ${i} '${labelKey}'`) };
  });
  if (parts.length === 1) return parts[0];
  const image = tf.concat(
    parts.map((p) => p.image),
    0,
  );
  const label = tf.concat(
    parts.map((p) => p.label),
    0,
  );
  tf.dispose(parts.flatMap((p) => [p.image, p.label]));
  return { image, label };
}

/** The items of one epoch of a data loader (epoch(e) / iterate(e) / async or sync iterable). */
export function loaderEpoch(loader: unknown, epoch: number, place: Place): AsyncIterable<unknown> | Iterable<unknown> {
  const f = method(loader, ['epoch', 'iterate', 'iterEpoch']);
  if (f) return f(epoch) as AsyncIterable<unknown>;
  if (isObj(loader) && typeof (loader as { setEpoch?: unknown }).setEpoch === 'function') (loader as { setEpoch(e: number): void }).setEpoch(epoch);
  if (isObj(loader) && (Symbol.asyncIterator in loader || Symbol.iterator in loader)) return loader as unknown as AsyncIterable<unknown>;
  throw new ClaraError('the data loader is not iterable (expected epoch(n), iterate(n) or an (async) iterable)', place);
}

function datasetOf(loader: unknown): unknown {
  return isObj(loader) ? (loader.dataset ?? (isObj(loader.args) ? loader.args.dataset : undefined)) : undefined;
}

/** A training data loader → BatchSource (SmartCache update and shutdown passed through). */
export function asBatchSource(loader: unknown, place: Place, keys = { image: 'image', label: 'label' }): BatchSource {
  const ds = datasetOf(loader);
  const len = () => {
    const l = (loader as { length?: unknown; numBatches?: unknown; batchesPerEpoch?: unknown }) ?? {};
    for (const k of ['batchesPerEpoch', 'numBatches', 'length'] as const) {
      const v = l[k];
      if (typeof v === 'function') return Number((v as () => number).call(loader));
      if (typeof v === 'number') return v;
    }
    return undefined;
  };
  return {
    batchesPerEpoch: len,
    async *epoch(e: number) {
      for await (const item of loaderEpoch(loader, e, place) as AsyncIterable<unknown>) yield toBatch(item, keys.image, keys.label);
    },
    updateCache: async () => {
      // The data area's DataLoader updates a SmartCache itself at the start of each epoch
      // (MONAI's SmartCacheHandler); only loaders without epoch(n) get it from here.
      if (method(loader, ['epoch'])) return;
      const u = method(ds, ['updateCache', 'update_cache']) ?? method(loader, ['updateCache', 'update_cache']);
      if (u) await u();
    },
    shutdown: async () => {
      const s = method(ds, ['shutdown']) ?? method(loader, ['shutdown']);
      if (s) await s();
    },
  };
}

function metaOf(s: Obj, key: string): Obj {
  const m = (s[`${key}_meta_dict`] ?? s.meta ?? (isObj(s[key]) ? (s[key] as Obj).meta : undefined)) as unknown;
  return isObj(m) ? m : {};
}

function affineOf(s: Obj, key: string): Affine | undefined {
  const m = metaOf(s, key);
  const a = (m.affine ?? (isObj(s[key]) ? (s[key] as Obj).affine : undefined)) as unknown;
  if (Array.isArray(a) && a.length === 4) return a as Affine;
  if (isTensor(a)) return a.arraySync() as Affine;
  return undefined;
}

function originalOf(s: Obj, key: string): { affine?: Affine; shape?: number[] } {
  const m = metaOf(s, key);
  const a = m.original_affine as unknown;
  const sh = m.spatial_shape as unknown;
  return {
    affine: Array.isArray(a) && a.length === 4 ? (a as Affine) : isTensor(a) ? (a.arraySync() as Affine) : undefined,
    shape: Array.isArray(sh) && sh.length >= 3 ? (sh as number[]).slice(0, 3) : undefined,
  };
}

function fileOf(s: Obj, key: string, fallback?: string): string | undefined {
  const m = metaOf(s, key);
  for (const k of ['filename_or_obj', 'filename', 'file', 'path']) if (typeof m[k] === 'string') return m[k] as string;
  return fallback;
}

/** A validation/inference loader (batch 1) → CaseSource. */
export function asCaseSource(loader: unknown, place: Place, keys = { image: 'image', label: 'label' }): CaseSource {
  const ds = datasetOf(loader);
  return {
    length: () => {
      const l = (ds ?? loader) as { length?: unknown };
      return typeof l?.length === 'number' ? l.length : typeof l?.length === 'function' ? Number((l.length as () => number).call(l)) : undefined;
    },
    async *cases(): AsyncIterable<Case> {
      let n = 0;
      for await (const raw of loaderEpoch(loader, 0, place) as AsyncIterable<unknown>) {
        let item: unknown = raw;
        if (isCollated(raw)) {
          // split a collated batch back into samples: tensors [N, ...] → N × [...], with their meta
          const n = raw.size ?? raw.samples?.length ?? 1;
          item = Array.from({ length: n }, (_, b) => {
            const s: Obj = { ...(raw.samples?.[b] ?? {}) };
            for (const [k, v] of Object.entries(raw.tensors)) {
              const t = v as { data: Float32Array; shape: number[] };
              const per = t.data.length / n;
              s[k] = { data: t.data.subarray(b * per, (b + 1) * per), shape: t.shape.slice(1) };
            }
            return s;
          });
        }
        for (const s of samplesOf(item)) {
          const file = fileOf(s, keys.image);
          const id = file ? file.replace(/^.*\//, '').replace(/\.nii(\.gz)?$/, '') : `case${n}`;
          n++;
          yield {
            id,
            file,
            affine: affineOf(s, keys.image),
            originalAffine: originalOf(s, keys.image).affine,
            originalShape: originalOf(s, keys.image).shape,
            image: toNDHWC(s[keys.image], `case ${id} '${keys.image}'`),
            label: keys.label in s && s[keys.label] !== undefined ? toNDHWC(s[keys.label], `case ${id} '${keys.label}'`) : undefined,
          };
        }
      }
    },
    shutdown: async () => {
      const s = method(ds, ['shutdown']) ?? method(loader, ['shutdown']);
      if (s) await s();
    },
  };
}
