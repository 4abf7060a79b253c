// Optimizers over named tf.Variables with PyTorch's update rules (torch.optim.SGD/Adam/AdamW,
// monai.optimizers.Novograd). Parameter names are the model's (MONAI state_dict names), so the
// optimizer state can be checkpointed and resumed by name.
import * as tf from '@tensorflow/tfjs';
import type { Optimizer as OptimizerContract } from '../components/contracts.js';
import { adamInPlace, adamKernelUpdate, type AdamParam } from '../engine/kernels/adam-update.js';

export interface OptimizerState {
  step: number;
  /** `${paramName}/${slot}` → tensor. */
  slots: Map<string, tf.Tensor>;
}

export abstract class Optimizer implements OptimizerContract {
  abstract readonly name: string;
  /** The learning rate used by the next step (lr policies set it). */
  lr: number;
  readonly initialLr: number;
  protected stepCount = 0;
  protected readonly slots = new Map<string, tf.Variable>();
  /** Parameters bound at construction (a config's "params": "#@model.parameters()"). */
  params?: Map<string, tf.Variable>;

  constructor(lr: number) {
    if (!(lr >= 0)) throw new Error(`learning rate must be >= 0, got ${lr}`);
    this.lr = lr;
    this.initialLr = lr;
  }

  get iterations(): number {
    return this.stepCount;
  }

  protected slot(param: string, slot: string, like: tf.Tensor | number[]): tf.Variable {
    const key = `${param}/${slot}`;
    let v = this.slots.get(key);
    if (!v) {
      v = tf.variable(Array.isArray(like) ? tf.zeros(like) : tf.zerosLike(like), false);
      this.slots.set(key, v);
    }
    return v;
  }

  /** One update of each parameter that has a gradient. */
  applyGradients(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void {
    this.stepCount++;
    tf.tidy(() => {
      const withGrad: [string, tf.Variable, tf.Tensor][] = [];
      for (const [name, p] of params) {
        const g = grads.get(name);
        if (g) withGrad.push([name, p, g]);
      }
      this.updateAll(withGrad);
    });
  }

  /** One update of each (name, parameter, gradient); optimizers with a multi-tensor path override it. */
  protected updateAll(params: [string, tf.Variable, tf.Tensor][]): void {
    for (const [name, p, g] of params) this.update(name, p, g);
  }

  protected abstract update(name: string, p: tf.Variable, g: tf.Tensor): void;

  /** Computes the loss and its gradients wrt `params` (default: the bound ones), applies them, returns the loss value. */
  minimize(loss: () => tf.Scalar, params: Map<string, tf.Variable> | undefined = this.params): number {
    if (!params) throw new Error(`${this.name}: no parameters to optimise (pass them, or build with params: "#@model.parameters()")`);
    const vars = [...params.values()];
    const { value, grads } = tf.variableGrads(loss, vars);
    const byVar = new Map<string, tf.Tensor>();
    const nameOf = new Map(vars.map((v, i) => [v.name, [...params.keys()][i]]));
    for (const [vn, g] of Object.entries(grads)) byVar.set(nameOf.get(vn)!, g);
    this.applyGradients(params, byVar);
    const out = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  }

  getState(): OptimizerState {
    return { step: this.stepCount, slots: new Map([...this.slots].map(([k, v]) => [k, v as tf.Tensor])) };
  }

  setState(s: OptimizerState): void {
    this.stepCount = s.step;
    for (const [k, t] of s.slots) {
      const v = this.slots.get(k);
      if (v) v.assign(t);
      else this.slots.set(k, tf.variable(t.clone(), false));
    }
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly name = 'SGD';
  constructor(readonly o: SGDOptions) {
    super(o.lr);
    if (o.nesterov && (!(o.momentum! > 0) || (o.dampening ?? 0) !== 0)) throw new Error('SGD: nesterov momentum requires a momentum and zero dampening');
  }
  protected update(name: string, p: tf.Variable, g0: tf.Tensor): void {
    const { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = this.o;
    let g = weightDecay ? tf.add(g0, tf.mul(p, weightDecay)) : g0;
    if (momentum) {
      const fresh = !this.slots.has(`${name}/momentum_buffer`);
      const buf = this.slot(name, 'momentum_buffer', p);
      const nb = fresh ? g : tf.add(tf.mul(buf, momentum), tf.mul(g, 1 - dampening));
      buf.assign(nb);
      g = nesterov ? tf.add(g, tf.mul(nb, momentum)) : nb;
    }
    p.assign(tf.sub(p, tf.mul(g, this.lr)));
  }
}

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

export class Adam extends Optimizer {
  readonly name: string = 'Adam';
  protected decoupled = false;
  constructor(readonly o: AdamOptions) {
    super(o.lr);
  }
  private stepParams() {
    const [b1, b2] = this.o.betas ?? [0.9, 0.999];
    return {
      lr: this.lr,
      beta1: b1,
      beta2: b2,
      eps: this.o.eps ?? 1e-8,
      bc1: 1 - b1 ** this.stepCount,
      bc2: 1 - b2 ** this.stepCount,
      weightDecay: this.o.weightDecay ?? (this.decoupled ? 1e-2 : 0),
      decoupled: this.decoupled,
    };
  }

  protected override updateAll(params: [string, tf.Variable, tf.Tensor][]): void {
    if (this.o.amsgrad) return super.updateAll(params);
    // on cpu-native, every parameter whose state only its variables see is updated in place in
    // one native call (engine/kernels/adam-update.ts); the others one by one
    const byP = new Map<tf.Tensor, string>(params.map(([name, p]) => [p, name]));
    const all: AdamParam[] = params.map(([name, p, g]) => ({ p, m: this.slot(name, 'exp_avg', p), v: this.slot(name, 'exp_avg_sq', p), g }));
    for (const x of adamInPlace(this.stepParams(), all)) this.update(byP.get(x.p)!, x.p as tf.Variable, x.g);
  }

  protected update(name: string, p: tf.Variable, g0: tf.Tensor): void {
    const [b1, b2] = this.o.betas ?? [0.9, 0.999];
    const eps = this.o.eps ?? 1e-8;
    const wd = this.o.weightDecay ?? (this.decoupled ? 1e-2 : 0);
    const m = this.slot(name, 'exp_avg', p),
      v = this.slot(name, 'exp_avg_sq', p);
    if (!this.o.amsgrad) {
      // one native pass on cpu-native (fresh p, m, v: see engine/kernels/adam-update.ts)
      const r = adamKernelUpdate(this.stepParams(), p, m, v, g0);
      if (r) {
        m.assign(r[1]);
        v.assign(r[2]);
        p.assign(r[0]);
        return;
      }
    }
    let g = g0;
    if (wd && this.decoupled) p.assign(tf.mul(p, 1 - this.lr * wd));
    else if (wd) g = tf.add(g, tf.mul(p, wd));
    m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
    v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
    let vv: tf.Tensor = v;
    if (this.o.amsgrad) {
      const vmax = this.slot(name, 'max_exp_avg_sq', p);
      vmax.assign(tf.maximum(vmax, v));
      vv = vmax;
    }
    const bc1 = 1 - b1 ** this.stepCount,
      bc2 = 1 - b2 ** this.stepCount;
    const denom = tf.add(tf.div(tf.sqrt(vv), Math.sqrt(bc2)), eps);
    p.assign(tf.sub(p, tf.mul(tf.div(m, denom), this.lr / bc1)));
  }
}

export class AdamW extends Adam {
  override readonly name = 'AdamW';
  constructor(o: AdamOptions) {
    super(o);
    this.decoupled = true;
  }
}

export interface NovogradOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  gradAveraging?: boolean;
  amsgrad?: boolean;
}

/** monai.optimizers.Novograd: layer-wise second moment (a scalar per parameter tensor). */
export class Novograd extends Optimizer {
  readonly name = 'Novograd';
  constructor(readonly o: NovogradOptions) {
    super(o.lr);
  }
  protected update(name: string, p: tf.Variable, g0: tf.Tensor): void {
    const [b1, b2] = this.o.betas ?? [0.9, 0.98];
    const eps = this.o.eps ?? 1e-8;
    const m = this.slot(name, 'exp_avg', p),
      v = this.slot(name, 'exp_avg_sq', []);
    const norm = tf.sum(tf.square(g0));
    // MONAI starts the running norm at the first (non-zero) norm
    const vNew = tf.where(tf.equal(v, 0), norm, tf.add(tf.mul(v, b2), tf.mul(norm, 1 - b2)));
    v.assign(vNew);
    let vv: tf.Tensor = v;
    if (this.o.amsgrad) {
      const vmax = this.slot(name, 'max_exp_avg_sq', []);
      vmax.assign(tf.maximum(vmax, v));
      vv = vmax;
    }
    let g = tf.div(g0, tf.add(tf.sqrt(vv), eps));
    if (this.o.weightDecay) g = tf.add(g, tf.mul(p, this.o.weightDecay));
    if (this.o.gradAveraging) g = tf.mul(g, 1 - b1);
    m.assign(tf.add(tf.mul(m, b1), g));
    p.assign(tf.sub(p, tf.mul(m, this.lr)));
  }
}
