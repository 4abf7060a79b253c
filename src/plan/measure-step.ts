// Measures one training step of the planned network on the engine's backend: the peak bytes
// of tensor memory the backend held (tf.profile), and the step's wall time. The planner fits the
// patch and batch size to a memory budget with these measurements instead of a formula alone.
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineInfo } from '../engine/index.js';
import { buildUNet } from '../models/unet.js';
import { diceLoss } from '../losses/dice.js';
import { Rng } from '../util/random.js';

export interface StepSpec {
  inChannels: number;
  outChannels: number;
  channels: number[];
  strides: number[];
  patch: number[];
  batch: number;
  amp?: boolean;
}

export interface StepMeasurement {
  patch: number[];
  batch: number;
  /** Peak tensor bytes during one forward + backward + Adam update (weights and optimizer state included). */
  peakBytes: number;
  /** Wall time of that step in milliseconds (the first step: includes one-time kernel set-up). */
  ms: number;
}

let engine: EngineInfo | undefined;

/** The backend the measurements run on (chosen once per process, as `train` chooses it). */
export async function planEngine(log?: (s: string) => void): Promise<EngineInfo> {
  engine ??= await initEngine({ amp: false, log });
  return engine;
}

/** One seeded training step; every tensor it made is disposed afterwards. */
export async function measureTrainStep(s: StepSpec): Promise<StepMeasurement> {
  await planEngine();
  const model = buildUNet({
    spatialDims: 3,
    inChannels: s.inChannels,
    outChannels: s.outChannels,
    channels: s.channels,
    strides: s.strides,
    numResUnits: 0,
    norm: 'instance',
    act: 'relu',
    seed: 0,
  });
  const rng = new Rng(0);
  const [d, h, w] = s.patch;
  const n = s.batch * d * h * w;
  const xv = new Float32Array(n * s.inChannels);
  for (let i = 0; i < xv.length; i++) xv[i] = rng.normal();
  const yv = new Float32Array(n);
  for (let i = 0; i < n; i++) yv[i] = rng.int(0, s.outChannels);
  const loss = diceLoss({ includeBackground: false, toOnehotY: true, softmax: true });
  const opt = tf.train.adam(1e-3);
  let x: tf.Tensor5D | undefined, y: tf.Tensor5D | undefined;
  try {
    const t0 = performance.now();
    const info = await tf.profile(() => {
      x = tf.tensor5d(xv, [s.batch, d, h, w, s.inChannels]);
      y = tf.tensor5d(yv, [s.batch, d, h, w, 1]);
      const vars = model.trainableVariables();
      const { value, grads } = tf.variableGrads(() => loss(model.apply(x!, true), y!) as tf.Scalar, vars);
      opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
      tf.dispose(grads);
      value.dataSync();
      value.dispose();
    });
    const ms = performance.now() - t0;
    return { patch: s.patch.slice(), batch: s.batch, peakBytes: info.peakBytes, ms };
  } finally {
    tf.dispose([x, y].filter((t): t is tf.Tensor5D => t !== undefined));
    opt.dispose();
    model.dispose();
  }
}
