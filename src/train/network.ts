// What the trainer needs from a network, and adapters for what the models area may
// hand over: a tf.LayersModel, or any object with apply()/namedWeights() (or
// call()/predict() and getWeights()/weights).
import * as tf from '@tensorflow/tfjs';
import { ClaraError } from '../util/errors.js';
import type { NamedTensor } from './components.js';

export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  trainable: boolean;
}

export interface TrainableNetwork {
  /** Forward pass, NDHWC in → NDHWC logits out. */
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
  /** Every weight (trainable or not, e.g. batch-norm statistics) in a stable order. */
  namedWeights(): NamedVariable[];
  /** A tf.LayersModel's topology JSON when the network is one (lets export write a layers model). */
  topology?(): object | undefined;
  /** The wrapped object (a tf.LayersModel, or the models area's own class). */
  readonly inner: unknown;
}

function isLayersModel(x: unknown): x is tf.LayersModel {
  return (
    x instanceof tf.LayersModel ||
    (typeof x === 'object' &&
      x !== null &&
      'layers' in x &&
      'weights' in x &&
      typeof (x as tf.LayersModel).apply === 'function' &&
      typeof (x as tf.LayersModel).toJSON === 'function')
  );
}

function layerVariable(lv: tf.LayerVariable): tf.Variable {
  return lv.read() as tf.Variable;
}

/** Wraps what a model factory returned; `place` names the config component in errors. */
export function asNetwork(m: unknown, place: { file?: string; path?: string } = {}): TrainableNetwork {
  if (
    m &&
    typeof m === 'object' &&
    'inner' in m &&
    typeof (m as TrainableNetwork).namedWeights === 'function' &&
    typeof (m as TrainableNetwork).apply === 'function'
  ) {
    return m as TrainableNetwork;
  }
  if (isLayersModel(m)) {
    return {
      inner: m,
      apply: (x, training) => m.apply(x, { training }) as tf.Tensor,
      namedWeights: () => {
        const trainable = new Set(m.trainableWeights.map((w) => w.id));
        return m.weights.map((w) => ({ name: w.originalName ?? w.name, variable: layerVariable(w), trainable: trainable.has(w.id) }));
      },
      topology: () => {
        try {
          return m.toJSON(undefined, false) as object;
        } catch {
          return undefined;
        }
      },
    };
  }
  if (m && typeof m === 'object') {
    const o = m as Record<string, unknown>;
    // The models area's SegModel: apply(x, training), store.named(), trainableVariables().
    const store = o.store as { named?: () => [string, tf.Variable][] } | undefined;
    if (typeof o.apply === 'function' && store && typeof store.named === 'function') {
      const seg = m as { apply(x: tf.Tensor, training?: boolean): tf.Tensor; trainableVariables?: () => tf.Variable[] };
      return {
        inner: m,
        apply: (x, training) => seg.apply(x, training),
        namedWeights: () => {
          const trainable = new Set((seg.trainableVariables?.() ?? []).map((v) => v.id));
          return store.named!().map(([name, variable]) => ({ name, variable, trainable: trainable.has(variable.id) }));
        },
        topology: undefined,
      };
    }
    const fwd = (['apply', 'call', 'forward', 'predict'] as const).find((k) => typeof o[k] === 'function');
    const weightsOf = (): NamedVariable[] => {
      if (typeof o.namedWeights === 'function') return (o.namedWeights as () => NamedVariable[])();
      const ws = (typeof o.getWeights === 'function' ? (o.getWeights as () => unknown[])() : (o.weights ?? o.variables)) as unknown;
      if (Array.isArray(ws)) {
        return ws.map((w, i) => {
          if (w instanceof tf.Variable) return { name: w.name || `w${i}`, variable: w, trainable: w.trainable };
          const nv = w as Partial<NamedVariable> & { read?: () => tf.Variable; name?: string; trainable?: boolean };
          if (nv.variable instanceof tf.Variable) return { name: nv.name ?? `w${i}`, variable: nv.variable, trainable: nv.trainable ?? true };
          if (typeof nv.read === 'function') return { name: nv.name ?? `w${i}`, variable: nv.read(), trainable: nv.trainable ?? true };
          throw new ClaraError(`the network's weight ${i} is not a tf.Variable`, place);
        });
      }
      if (ws && typeof ws === 'object') {
        return Object.entries(ws as Record<string, tf.Variable>).map(([name, variable]) => ({ name, variable, trainable: variable.trainable }));
      }
      throw new ClaraError('the network exposes no weights (namedWeights(), getWeights(), weights or variables)', place);
    };
    if (fwd) {
      const f = o[fwd] as (x: tf.Tensor, t?: unknown) => tf.Tensor;
      return {
        inner: m,
        apply: (x, training) => (fwd === 'apply' || fwd === 'call' ? f.call(m, x, { training }) : f.call(m, x, training)) as tf.Tensor,
        namedWeights: weightsOf,
        topology: undefined,
      };
    }
  }
  throw new ClaraError('the model component did not build a network (expected a tf.LayersModel or an object with apply())', place);
}

/** The current values of a network's weights (clones, the caller disposes). */
export function snapshotWeights(net: TrainableNetwork): NamedTensor[] {
  return net.namedWeights().map((w) => ({ name: w.name, tensor: w.variable.clone() }));
}

/**
 * Assigns saved weights to a network: by name when every name matches, otherwise in
 * saved order (layer numbering differs between processes), checking every shape.
 */
export function assignWeights(net: TrainableNetwork, weights: tf.NamedTensorMap, order: string[], file?: string): void {
  const targets = net.namedWeights();
  const byName = targets.every((t) => t.name in weights);
  if (!byName && order.length !== targets.length) {
    throw new ClaraError(`the checkpoint has ${order.length} weights, the network has ${targets.length}: it belongs to another architecture`, { file });
  }
  targets.forEach((t, i) => {
    const src = byName ? weights[t.name] : weights[order[i]];
    const name = byName ? t.name : order[i];
    if (!src) throw new ClaraError(`weight ${t.name} is missing from the checkpoint`, { file });
    if (src.shape.join('x') !== t.variable.shape.join('x')) {
      throw new ClaraError(`weight ${name} has shape [${src.shape}] in the checkpoint, [${t.variable.shape}] in the network (another architecture?)`, { file });
    }
    t.variable.assign(src.dtype === t.variable.dtype ? src : tf.cast(src, t.variable.dtype));
  });
}
