// Optimizer and lr-policy factories (torch / MONAI 4.x names and Clara 3.x names).
// Optimizer args `params` ("#@model.parameters()") and lr-policy `optimizer` ("@optimizer") are
// accepted and ignored: the trainer binds optimizers to the model's variables and gives policies
// the optimizer's lr.
import type { BuildContext } from '../components/registry.js';
import { registry } from '../components/registry.js';
import { Args } from '../components/args.js';
import { type LrPolicy, type Unit, type Warmup, constant, cosine, decayOnStep, reducePoly, stepLR, warmupCosine } from './lr-policy.js';
import type * as tf from '@tensorflow/tfjs';
import { Adam, AdamW, Novograd, Optimizer, SGD } from './optimizer.js';

function lr(a: Args, dflt: number): number {
  return a.num(['lr', 'learning_rate'], dflt, { min: 0 });
}

function betas(a: Args, dflt: [number, number]): [number, number] {
  if (a.has('betas')) {
    const b = a.raw.betas;
    if (!Array.isArray(b) || b.length !== 2 || b.some((x) => typeof x !== 'number' || x < 0 || x >= 1)) a.fail('betas', 'two numbers in [0, 1)');
    return b as [number, number];
  }
  return [a.num('beta1', dflt[0], { min: 0, max: 0.999999 }), a.num('beta2', dflt[1], { min: 0, max: 0.999999 })];
}

const OPT_COMMON = ['params', 'lr', 'learning_rate', 'weight_decay'];

export function adamFactory(raw: Record<string, unknown>, ctx: BuildContext): Optimizer {
  const a = new Args(raw, ctx);
  return new Adam({
    lr: lr(a, 1e-3),
    betas: betas(a, [0.9, 0.999]),
    eps: a.num(['eps', 'epsilon'], 1e-8, { min: 0 }),
    weightDecay: a.num('weight_decay', 0, { min: 0 }),
    amsgrad: a.bool('amsgrad', false),
  });
}

export function adamWFactory(raw: Record<string, unknown>, ctx: BuildContext): Optimizer {
  const a = new Args(raw, ctx);
  return new AdamW({
    lr: lr(a, 1e-3),
    betas: betas(a, [0.9, 0.999]),
    eps: a.num(['eps', 'epsilon'], 1e-8, { min: 0 }),
    weightDecay: a.num('weight_decay', 1e-2, { min: 0 }),
    amsgrad: a.bool('amsgrad', false),
  });
}

export function sgdFactory(raw: Record<string, unknown>, ctx: BuildContext): Optimizer {
  const a = new Args(raw, ctx);
  const momentum = a.num('momentum', 0, { min: 0 });
  const dampening = a.num('dampening', 0, { min: 0 });
  const nesterov = a.bool(['nesterov', 'use_nesterov'], false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) a.fail(a.has('nesterov') ? 'nesterov' : 'use_nesterov', 'false unless momentum > 0 and dampening = 0');
  return new SGD({ lr: lr(a, 1e-2), momentum, dampening, nesterov, weightDecay: a.num('weight_decay', 0, { min: 0 }) });
}

/** Clara 3.x Momentum: SGD with momentum (default 0.9). */
export function momentumFactory(raw: Record<string, unknown>, ctx: BuildContext): Optimizer {
  return sgdFactory({ momentum: 0.9, ...raw }, ctx);
}

export function novogradFactory(raw: Record<string, unknown>, ctx: BuildContext): Optimizer {
  const a = new Args(raw, ctx);
  return new Novograd({
    lr: lr(a, 1e-3),
    betas: betas(a, [0.9, 0.98]),
    eps: a.num(['eps', 'epsilon'], 1e-8, { min: 0 }),
    weightDecay: a.num('weight_decay', 0, { min: 0 }),
    gradAveraging: a.bool('grad_averaging', false),
    amsgrad: a.bool('amsgrad', false),
  });
}

/** Binds a config's resolved "params" (the model's named parameters) to the optimizer. */
function bindParams(f: (raw: Record<string, unknown>, ctx: BuildContext) => Optimizer) {
  return (raw: Record<string, unknown>, ctx: BuildContext): Optimizer => {
    const opt = f(raw, ctx);
    if (raw.params instanceof Map) opt.params = raw.params as Map<string, tf.Variable>;
    return opt;
  };
}

/** Binds a config's resolved "optimizer" (an Optimizer instance) to the lr policy. */
function bindOptimizer(f: (raw: Record<string, unknown>, ctx: BuildContext) => LrPolicy) {
  return (raw: Record<string, unknown>, ctx: BuildContext): LrPolicy => {
    const p = f(raw, ctx);
    if (raw.optimizer instanceof Optimizer) p.optimizer = raw.optimizer;
    return p;
  };
}

registry.register({
  names: ['Adam', 'torch.optim.Adam'],
  kind: 'optimizer',
  factory: bindParams(adamFactory),
  args: [...OPT_COMMON, 'betas', 'beta1', 'beta2', 'eps', 'epsilon', 'amsgrad'],
  description: 'torch.optim.Adam',
});
registry.register({
  names: ['AdamW', 'torch.optim.AdamW'],
  kind: 'optimizer',
  factory: bindParams(adamWFactory),
  args: [...OPT_COMMON, 'betas', 'beta1', 'beta2', 'eps', 'epsilon', 'amsgrad'],
  description: 'torch.optim.AdamW',
});
registry.register({
  names: ['SGD', 'torch.optim.SGD'],
  kind: 'optimizer',
  factory: bindParams(sgdFactory),
  args: [...OPT_COMMON, 'momentum', 'dampening', 'nesterov', 'use_nesterov'],
  description: 'torch.optim.SGD',
});
registry.register({
  names: ['Momentum'],
  kind: 'optimizer',
  factory: bindParams(momentumFactory),
  args: [...OPT_COMMON, 'momentum', 'dampening', 'nesterov', 'use_nesterov'],
  description: 'Clara 3.x Momentum (SGD with momentum 0.9)',
});
registry.register({
  names: ['Novograd', 'NovoGrad', 'monai.optimizers.Novograd'],
  kind: 'optimizer',
  factory: bindParams(novogradFactory),
  args: [...OPT_COMMON, 'betas', 'beta1', 'beta2', 'eps', 'epsilon', 'grad_averaging', 'amsgrad'],
  description: "MONAI's Novograd",
});

// ---- lr policies ----

function warmupArg(a: Args): Warmup | undefined {
  const ep = a.optNum('warmup_epochs', { min: 0 });
  const st = a.optNum('warmup_steps', { min: 0 });
  if (ep !== undefined && st !== undefined) a.fail('warmup_steps', 'absent when warmup_epochs is given');
  const startFactor = a.num('warmup_start_factor', 0, { min: 0, max: 1 });
  if (ep) return { length: ep, unit: 'epoch', startFactor };
  if (st) return { length: st, unit: 'iteration', startFactor };
  return undefined;
}

function unitArg(a: Args): Unit {
  if (a.has('epoch_level')) return a.bool('epoch_level', true) ? 'epoch' : 'iteration';
  return a.str<Unit>('unit', 'epoch', ['epoch', 'iteration']);
}

const LR_COMMON = ['optimizer', 'warmup_epochs', 'warmup_steps', 'warmup_start_factor', 'unit', 'epoch_level', 'last_epoch', 'verbose'];

export function stepLRFactory(raw: Record<string, unknown>, ctx: BuildContext): LrPolicy {
  const a = new Args(raw, ctx);
  if (!a.has('step_size')) a.fail('step_size', 'a positive integer (required)');
  return stepLR(a.num('step_size', 1, { int: true, min: 1 }), a.num('gamma', 0.1, { min: 0 }), unitArg(a), warmupArg(a));
}

export function reducePolyFactory(raw: Record<string, unknown>, ctx: BuildContext): LrPolicy {
  const a = new Args(raw, ctx);
  return reducePoly(a.num(['poly_power', 'power'], 0.9, { min: 0 }), unitArg(a), a.optNum('total_iters', { int: true, min: 1 }), warmupArg(a));
}

export function reduceCosineFactory(raw: Record<string, unknown>, ctx: BuildContext): LrPolicy {
  const a = new Args(raw, ctx);
  return cosine('ReduceCosine', unitArg(a), undefined, 0, a.num('rate', 0.5, { min: 0 }), warmupArg(a));
}

export function cosineAnnealingFactory(raw: Record<string, unknown>, ctx: BuildContext): LrPolicy {
  const a = new Args(raw, ctx);
  return cosine('CosineAnnealingLR', unitArg(a), a.optNum('T_max', { min: 1 }), a.num('eta_min', 0, { min: 0 }), 0.5, warmupArg(a));
}

export function decayOnStepFactory(raw: Record<string, unknown>, ctx: BuildContext): LrPolicy {
  const a = new Args(raw, ctx);
  return decayOnStep(a.num('decay_ratio', 0.1, { min: 0 }), a.num('decay_freq', 1000, { int: true, min: 1 }), warmupArg(a));
}

export function warmupCosineFactory(raw: Record<string, unknown>, ctx: BuildContext): LrPolicy {
  const a = new Args(raw, ctx);
  if (!a.has('t_total')) a.fail('t_total', 'a positive integer (required)');
  const wm = a.num('warmup_multiplier', 0, { min: 0, max: 1 });
  const t = a.num('t_total', 1, { int: true, min: 1 });
  return warmupCosine(Math.min(a.num('warmup_steps', 0, { int: true, min: 0 }), t), t, a.num('end_lr', 0, { min: 0 }), a.num('cycles', 0.5, { min: 0 }), wm);
}

export function constantFactory(raw: Record<string, unknown>, ctx: BuildContext): LrPolicy {
  return constant(warmupArg(new Args(raw, ctx)));
}

registry.register({
  names: ['StepLR', 'ReduceStep', 'torch.optim.lr_scheduler.StepLR'],
  kind: 'lr_policy',
  factory: bindOptimizer(stepLRFactory),
  args: [...LR_COMMON, 'step_size', 'gamma'],
  description: 'lr · gamma^floor(epoch / step_size)',
});
registry.register({
  names: ['ReducePoly', 'PolynomialLR', 'torch.optim.lr_scheduler.PolynomialLR'],
  kind: 'lr_policy',
  factory: bindOptimizer(reducePolyFactory),
  args: [...LR_COMMON, 'poly_power', 'power', 'total_iters'],
  description: 'lr · (1 - epoch / epochs)^poly_power',
});
registry.register({
  names: ['ReduceCosine'],
  kind: 'lr_policy',
  factory: bindOptimizer(reduceCosineFactory),
  args: [...LR_COMMON, 'rate'],
  description: 'Clara 3.x: lr · rate · (1 + cos(pi · epoch / epochs))',
});
registry.register({
  names: ['CosineAnnealing', 'CosineAnnealingLR', 'torch.optim.lr_scheduler.CosineAnnealingLR'],
  kind: 'lr_policy',
  factory: bindOptimizer(cosineAnnealingFactory),
  args: [...LR_COMMON, 'T_max', 'eta_min'],
  description: 'cosine annealing to eta_min over T_max (default: the run)',
});
registry.register({
  names: ['DecayOnStep'],
  kind: 'lr_policy',
  factory: bindOptimizer(decayOnStepFactory),
  args: [...LR_COMMON, 'decay_ratio', 'decay_freq'],
  description: 'Clara 3.x: lr · decay_ratio every decay_freq steps',
});
registry.register({
  names: ['WarmupCosineSchedule', 'monai.optimizers.WarmupCosineSchedule'],
  kind: 'lr_policy',
  factory: bindOptimizer(warmupCosineFactory),
  args: ['optimizer', 'warmup_steps', 't_total', 'end_lr', 'cycles', 'warmup_multiplier', 'last_epoch'],
  description: "MONAI's WarmupCosineSchedule (per iteration)",
});
registry.register({
  names: ['Constant'],
  kind: 'lr_policy',
  factory: bindOptimizer(constantFactory),
  args: LR_COMMON,
  description: 'constant lr (optional warmup)',
});
