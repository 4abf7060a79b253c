// Named parameters of a functional model. Names follow MONAI's (PyTorch's) state_dict keys
// ("model.0.conv.unit0.conv.weight"), so parameter counts and weights line up with MONAI.
// Trainable parameters are tf.Variables; buffers (BatchNorm running stats) are non-trainable.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../util/random.js';

export class ParamStore {
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();
  readonly rng: Rng;
  private dropoutSeed: number;

  constructor(seed = 0) {
    this.rng = new Rng(seed);
    this.dropoutSeed = new Rng(seed ^ 0x5bd1e995).nextUint32();
  }

  private unique(name: string): void {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`parameter '${name}' defined twice`);
  }

  /** A trainable parameter, initialised U(-bound, bound) from the store's seeded Rng (PyTorch's default). */
  uniform(name: string, shape: number[], bound: number): tf.Variable {
    this.unique(name);
    const n = shape.reduce((a, b) => a * b, 1);
    const v = tf.variable(
      tf.tensor(
        Float32Array.from({ length: n }, () => this.rng.uniform(-bound, bound)),
        shape,
      ),
      true,
    );
    this.params.set(name, v);
    return v;
  }

  /** A trainable parameter filled with one value. */
  constant(name: string, shape: number[], value: number): tf.Variable {
    this.unique(name);
    const v = tf.variable(tf.fill(shape, value), true);
    this.params.set(name, v);
    return v;
  }

  /** A non-trainable buffer (saved with the weights). */
  buffer(name: string, shape: number[], value: number): tf.Variable {
    this.unique(name);
    const v = tf.variable(tf.fill(shape, value), false);
    this.buffers.set(name, v);
    return v;
  }

  /** A fresh seed for one dropout draw (deterministic sequence per store). */
  nextDropoutSeed(): number {
    this.dropoutSeed = (Math.imul(this.dropoutSeed, 1664525) + 1013904223) >>> 0;
    return this.dropoutSeed;
  }

  trainable(): tf.Variable[] {
    return [...this.params.values()];
  }

  /** Number of trainable scalars (what torch's sum(p.numel() for p in parameters()) counts). */
  count(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Every saved tensor, parameters then buffers, by name. */
  named(): [string, tf.Variable][] {
    return [...this.params.entries(), ...this.buffers.entries()];
  }

  dispose(): void {
    for (const [, v] of this.named()) v.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}

export type Layer = (x: tf.Tensor5D, training: boolean) => tf.Tensor5D;

export function sequential(...layers: Layer[]): Layer {
  return (x, training) => layers.reduce((y, l) => l(y, training), x);
}

export const identity: Layer = (x) => x;

export type Triple = [number, number, number];

export function triple(v: number | number[], what: string): Triple {
  const t = typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(t) || t.length !== 3 || t.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new Error(`${what}: expected an integer or three integers, got ${JSON.stringify(v)}`);
  }
  return t as Triple;
}
