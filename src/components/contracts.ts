// The contracts every area implements directly, at the bottom so that each area and the
// code that drives it (train, automl) share one definition. A BYOC object (`"path":
// "module.Export"`) is checked once against its contract, with an error that names the
// file, the JSON path and the method it lacks; nothing else guesses method names.
import type * as tf from '@tensorflow/tfjs';
import { ClaraError } from '../util/errors.js';

/** pred [N, D, H, W, C] (logits), label [N, D, H, W, 1] (class indices) or one-hot → a scalar. */
export type Loss = (pred: tf.Tensor, label: tf.Tensor) => tf.Tensor;

export interface LrContext {
  /** The optimizer's initial lr (the config's learning_rate). */
  baseLr: number;
  /** Total epochs of the run. */
  epochs: number;
  /** Iterations per epoch. */
  iterationsPerEpoch: number;
}

/** The learning rate at a 0-based epoch and 0-based iteration within it. */
export interface LrSchedule {
  lrAt(epoch: number, iteration: number, ctx: LrContext): number;
}

/** Runs a predictor over a whole volume: image [1, D, H, W, C] → logits [1, D, H, W, K]. */
export interface Inferer {
  infer(image: tf.Tensor5D, predict: (x: tf.Tensor5D) => tf.Tensor5D): tf.Tensor5D | Promise<tf.Tensor5D>;
}

/** An optimizer over named parameters (PyTorch's update rules); state for checkpoints. */
export interface Optimizer {
  lr: number;
  applyGradients(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void;
  getState(): { step: number; slots: Map<string, tf.Tensor> };
  setState(s: { step: number; slots: Map<string, tf.Tensor> }): void;
  dispose?(): void;
}

/** Class-index prediction and label of one case → one value (NaN = not defined for the case). */
export interface CaseMetric {
  readonly name: string;
  /** Lower values are better (surface distances): the trainer keeps the lowest as its best. */
  readonly lowerIsBetter?: boolean;
  /** `geom`: the case's spatial shape and voxel spacing (mm), for the surface metrics. */
  ofCase(pred: Int32Array, label: Int32Array, numClasses: number, geom?: { shape: number[]; spacing: number[] }): number;
}

/** Decides whether a running job stops early, from the key metric of jobs that ended. */
export interface Pruner {
  /** The metric it reads from validation events (else the job's key metric). */
  readonly metric?: string;
  shouldPrune(epoch: number, value: number): boolean;
  jobEnded(history: { epoch: number; value: number }[] | undefined): void;
}

/** What a contract requires of an object; `callable`: a plain function is also accepted. */
interface Contract {
  kind: string;
  methods: string[];
  callable?: boolean;
  /** How the contract reads in an error: `forward(pred, label) → scalar`. */
  shape: string;
}

export const CONTRACTS = {
  loss: { kind: 'loss', methods: ['forward'], callable: true, shape: 'a function (pred, label) → scalar, or an object with forward(pred, label)' },
  lrSchedule: { kind: 'lr policy', methods: ['lrAt'], shape: 'lrAt(epoch, iteration, {baseLr, epochs, iterationsPerEpoch}) → lr' },
  inferer: { kind: 'inferer', methods: ['infer'], callable: true, shape: 'a function (image, predict) → logits, or an object with infer(image, predict)' },
  optimizer: {
    kind: 'optimizer',
    methods: ['applyGradients', 'getState', 'setState'],
    shape: 'lr, applyGradients(params, grads), getState(), setState(state)',
  },
  caseMetric: { kind: 'metric', methods: ['ofCase'], shape: 'name and ofCase(pred, label, numClasses) → number' },
  pruner: { kind: 'pruner', methods: ['shouldPrune', 'jobEnded'], shape: 'shouldPrune(epoch, value) → boolean and jobEnded(history)' },
  executor: { kind: 'executor', methods: ['run'], shape: 'run(job, worker, onProgress, signal) → outcome' },
} as const satisfies Record<string, Contract>;

/** The contract a BYOC component of each kind is checked against where it is built. */
export const CONTRACT_OF_KIND: Partial<Record<string, Contract>> = {
  loss: CONTRACTS.loss,
  optimizer: CONTRACTS.optimizer,
  lr_policy: CONTRACTS.lrSchedule,
  inferer: CONTRACTS.inferer,
  metric: CONTRACTS.caseMetric,
  pruner: CONTRACTS.pruner,
  executor: CONTRACTS.executor,
};

/** The methods `c` requires that `o` lacks (none when `o` fits). */
function missingMethods(o: unknown, c: Contract): string[] {
  if (c.callable && typeof o === 'function') return [];
  if ((typeof o !== 'object' && typeof o !== 'function') || o === null) return [...c.methods];
  const r = o as Record<string, unknown>;
  return c.methods.filter((m) => typeof r[m] !== 'function');
}

/** `o` when it fits the contract; otherwise an error naming the place and what is missing. */
export function checkContract<T>(o: unknown, c: Contract, place: { file?: string; path?: string }): T {
  const missing = missingMethods(o, c);
  if (missing.length === 0) return o as T;
  const got =
    o === null
      ? 'null'
      : Array.isArray(o)
        ? 'a list'
        : typeof o === 'object'
          ? `an object with ${Object.keys(o as object).join(', ') || 'no fields'}`
          : typeof o;
  throw new ClaraError(
    `the ${c.kind} component does not fit its contract (${c.shape}): ${got === 'undefined' ? 'nothing was built' : `${got}; missing ${missing.join(', ')}`}`,
    place,
  );
}

/** For a class (what `config check` sees without constructing it): an error message when its instances would lack a method of the contract. */
export function classMisfit(cls: Function, c: Contract): string | undefined {
  const missing = missingMethods(cls.prototype, { ...c, callable: false });
  return missing.length === 0
    ? undefined
    : `class ${cls.name || '(anonymous)'} does not fit the ${c.kind} contract (${c.shape}): missing ${missing.join(', ')}`;
}
