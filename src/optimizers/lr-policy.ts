// Learning-rate policies. lrAt(epoch, iteration, ctx) gives the lr for the given 0-based epoch
// and 0-based iteration within it. Epoch-level policies follow torch's schedulers stepped once
// per epoch (MONAI's LrScheduleHandler default); `unit: 'iteration'` counts global iterations.
// An optional linear warmup ramps from warmup_start_factor·lr to the policy's value.

import type { LrContext, LrSchedule } from '../components/contracts.js';

export interface LrPolicy extends LrSchedule {
  readonly name: string;
  /** The optimizer a 4.x config bound it to ("optimizer": "@optimizer"), when it did. */
  optimizer?: { lr: number; readonly initialLr: number };
}

/** Sets the bound (or given) optimizer's lr for this epoch/iteration; returns the lr. */
export function applyLr(
  policy: LrPolicy,
  epoch: number,
  iteration: number,
  ctx: Omit<LrContext, 'baseLr'> & { baseLr?: number },
  optimizer = policy.optimizer,
): number {
  if (!optimizer) throw new Error(`${policy.name}: no optimizer bound to this lr policy`);
  const lr = policy.lrAt(epoch, iteration, { ...ctx, baseLr: ctx.baseLr ?? optimizer.initialLr });
  optimizer.lr = lr;
  return lr;
}

export type Unit = 'epoch' | 'iteration';

export interface Warmup {
  /** Warmup length in `unit`s. */
  length: number;
  unit: Unit;
  startFactor: number;
}

function position(unit: Unit, epoch: number, iteration: number, ctx: LrContext): number {
  return unit === 'epoch' ? epoch : epoch * ctx.iterationsPerEpoch + iteration;
}

function total(unit: Unit, ctx: LrContext): number {
  return unit === 'epoch' ? ctx.epochs : ctx.epochs * ctx.iterationsPerEpoch;
}

export function makePolicy(name: string, unit: Unit, f: (t: number, T: number, base: number) => number, warmup?: Warmup): LrPolicy {
  return {
    name,
    lrAt(epoch, iteration, ctx) {
      const t = position(unit, epoch, iteration, ctx);
      if (warmup && warmup.length > 0) {
        const w = position(warmup.unit, epoch, iteration, ctx);
        if (w < warmup.length) {
          const target = f(t, total(unit, ctx), ctx.baseLr);
          const frac = warmup.startFactor + (1 - warmup.startFactor) * (w / warmup.length);
          return target * frac;
        }
      }
      return f(t, total(unit, ctx), ctx.baseLr);
    },
  };
}

/** torch StepLR: lr · gamma^floor(t / step_size). */
export function stepLR(stepSize: number, gamma: number, unit: Unit = 'epoch', warmup?: Warmup): LrPolicy {
  return makePolicy('StepLR', unit, (t, _T, b) => b * gamma ** Math.floor(t / stepSize), warmup);
}

/** Clara 3.x DecayOnStep: lr · decay_ratio every decay_freq training steps. */
export function decayOnStep(ratio: number, freq: number, warmup?: Warmup): LrPolicy {
  return makePolicy('DecayOnStep', 'iteration', (t, _T, b) => b * ratio ** Math.floor(t / freq), warmup);
}

/** Clara 3.x ReducePoly / torch PolynomialLR: lr · (1 - t / T)^power (T = the run's length unless given). */
export function reducePoly(power: number, unit: Unit = 'epoch', totalSteps?: number, warmup?: Warmup): LrPolicy {
  return makePolicy('ReducePoly', unit, (t, T, b) => b * Math.max(0, 1 - Math.min(t, totalSteps ?? T) / (totalSteps ?? T)) ** power, warmup);
}

/**
 * Cosine annealing to eta_min over T_max (torch CosineAnnealingLR's closed form):
 * eta_min + (lr - eta_min) · (1 + cos(pi · t / T_max)) / 2. Clara 3.x ReduceCosine(rate) is
 * lr · rate · (1 + cos(pi · epoch / epochs)), which is this with rate 0.5.
 */
export function cosine(name: string, unit: Unit, tMax: number | undefined, etaMin: number, rate = 0.5, warmup?: Warmup): LrPolicy {
  return makePolicy(name, unit, (t, T, b) => etaMin + ((b - etaMin) * rate * 2 * (1 + Math.cos((Math.PI * t) / (tMax ?? T)))) / 2, warmup);
}

/** Constant lr (the default when a config has no lr policy). */
export function constant(warmup?: Warmup): LrPolicy {
  return makePolicy('Constant', 'epoch', (_t, _T, b) => b, warmup);
}

/** MONAI WarmupCosineSchedule (iteration level): linear warmup, then cosine with `cycles` to end_lr. */
export function warmupCosine(warmupSteps: number, tTotal: number, endLr = 0, cycles = 0.5, warmupMultiplier = 0): LrPolicy {
  return {
    name: 'WarmupCosineSchedule',
    lrAt(epoch, iteration, ctx) {
      const t = epoch * ctx.iterationsPerEpoch + iteration;
      if (t < warmupSteps) {
        const f = t / Math.max(1, warmupSteps);
        return ctx.baseLr * (warmupMultiplier + (1 - warmupMultiplier) * f);
      }
      const progress = (t - warmupSteps) / Math.max(1, tTotal - warmupSteps);
      const f = Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
      return Math.max(endLr, ctx.baseLr * f);
    },
  };
}
