// Intensity dict transforms: ScaleIntensityRanged (ScaleIntensityRange), NormalizeIntensityd,
// RandShiftIntensityd, RandScaleIntensityd, RandGaussianNoised (AddGaussianNoise), and the
// Clara 3.x ScaleShiftIntensity and ScaleIntensityOscillation.
import { ClaraError } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { getTensor, MapTransform, RandomMapTransform } from './base.js';
import * as K from './kernels.js';
import type { Sample } from './types.js';

function setData(s: Sample, key: string, data: Float32Array): void {
  const t = s[key] as { shape: number[] };
  s[key] = { data, shape: t.shape };
}

/** MONAI ScaleIntensityRange: (x - a_min) / (a_max - a_min) · (b_max - b_min) + b_min, clipped to [b_min, b_max]. */
export class ScaleIntensityRanged extends MapTransform {
  readonly name: string;
  constructor(
    keys: string[],
    readonly a: { a_min: number; a_max: number; b_min?: number | null; b_max?: number | null; clip?: boolean },
    opts: { allowMissingKeys?: boolean; name?: string } = {},
  ) {
    super(keys, opts.allowMissingKeys);
    this.name = opts.name ?? 'ScaleIntensityRanged';
    for (const k of ['a_min', 'a_max'] as const)
      if (typeof a[k] !== 'number') throw new ClaraError(`${this.name}: '${k}' must be a number, got ${JSON.stringify(a[k])}`);
  }
  protected async applyKey(s: Sample, key: string): Promise<void> {
    const t = getTensor(s, key, this.name);
    const { a_min, a_max, clip = false } = this.a;
    const bMin = this.a.b_min ?? 0,
      bMax = this.a.b_max ?? 1;
    if (a_max - a_min === 0) {
      setData(s, key, await K.affineIntensity(t.data, 0, bMin));
      return;
    }
    const scale = (bMax - bMin) / (a_max - a_min),
      shift = bMin - a_min * scale;
    setData(s, key, await K.affineIntensity(t.data, scale, shift, clip, Math.min(bMin, bMax), Math.max(bMin, bMax)));
  }
}

/** MONAI NormalizeIntensity (whole volume or per channel; nonzero: only non-zero voxels). */
export class NormalizeIntensityd extends MapTransform {
  readonly name = 'NormalizeIntensityd';
  constructor(
    keys: string[],
    readonly opts: { subtrahend?: number | null; divisor?: number | null; nonzero?: boolean; channel_wise?: boolean } = {},
    allowMissingKeys = false,
  ) {
    super(keys, allowMissingKeys);
  }
  private async norm(x: Float32Array): Promise<Float32Array> {
    const nz = this.opts.nonzero ?? false;
    const [sum, sumsq, n] = K.moments(x, nz);
    if (n === 0) return x.slice();
    const mean = this.opts.subtrahend ?? sum / n;
    let std = this.opts.divisor ?? Math.sqrt(Math.max(0, sumsq / n - (sum / n) ** 2));
    if (std === 0) std = 1;
    return K.normalize(x, mean, 1 / std, nz);
  }
  protected async applyKey(s: Sample, key: string): Promise<void> {
    const t = getTensor(s, key, this.name);
    if (!this.opts.channel_wise) {
      setData(s, key, await this.norm(t.data));
      return;
    }
    const c = t.shape[0],
      n = t.data.length / c;
    const out = new Float32Array(t.data.length);
    for (let ch = 0; ch < c; ch++) out.set(await this.norm(t.data.subarray(ch * n, (ch + 1) * n)), ch * n);
    setData(s, key, out);
  }
}

function range(v: number | number[], name: string, arg: string): [number, number] {
  if (typeof v === 'number') return [-Math.abs(v), Math.abs(v)];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [Math.min(v[0], v[1]), Math.max(v[0], v[1])];
  throw new ClaraError(`${name}: '${arg}' must be a number or [min, max], got ${JSON.stringify(v)}`);
}

/** MONAI RandShiftIntensityd: with probability prob adds an offset uniform in offsets. */
export class RandShiftIntensityd extends RandomMapTransform<number | null> {
  readonly name = 'RandShiftIntensityd';
  private readonly r: [number, number];
  constructor(
    keys: string[],
    offsets: number | number[],
    readonly prob = 0.1,
    allowMissingKeys = false,
  ) {
    super(keys, allowMissingKeys);
    this.r = range(offsets, this.name, 'offsets');
  }
  protected override draw(_s: Sample, rng?: Rng): number | null {
    const g = this.stream(rng);
    const doIt = g.random() < this.prob;
    const off = g.uniform(this.r[0], this.r[1]);
    return doIt ? off : null;
  }
  protected async applyKey(s: Sample, key: string, _i: number, off: number | null): Promise<void> {
    if (off === null) return;
    setData(s, key, await K.affineIntensity(getTensor(s, key, this.name).data, 1, off));
  }
}

/** MONAI RandScaleIntensityd: with probability prob multiplies by 1 + factor, factor uniform in factors. */
export class RandScaleIntensityd extends RandomMapTransform<number | null> {
  readonly name = 'RandScaleIntensityd';
  private readonly r: [number, number];
  constructor(
    keys: string[],
    factors: number | number[],
    readonly prob = 0.1,
    allowMissingKeys = false,
  ) {
    super(keys, allowMissingKeys);
    this.r = range(factors, this.name, 'factors');
  }
  protected override draw(_s: Sample, rng?: Rng): number | null {
    const g = this.stream(rng);
    const doIt = g.random() < this.prob;
    const f = g.uniform(this.r[0], this.r[1]);
    return doIt ? 1 + f : null;
  }
  protected async applyKey(s: Sample, key: string, _i: number, f: number | null): Promise<void> {
    if (f === null) return;
    setData(s, key, await K.affineIntensity(getTensor(s, key, this.name).data, f, 0));
  }
}

/** Clara 3.x ScaleShiftIntensity (assumed semantics): with probability `probability` (default 0.5)
 * x · (1 + u(-scale, scale)) + u(-shift, shift). */
export class ScaleShiftIntensity extends RandomMapTransform<[number, number] | null> {
  readonly name = 'ScaleShiftIntensity';
  constructor(
    keys: string[],
    readonly scale = 0.1,
    readonly shift = 0.1,
    readonly probability = 0.5,
  ) {
    super(keys);
  }
  protected override draw(_s: Sample, rng?: Rng): [number, number] | null {
    const g = this.stream(rng);
    const doIt = g.random() < this.probability;
    const a = 1 + g.uniform(-this.scale, this.scale),
      b = g.uniform(-this.shift, this.shift);
    return doIt ? [a, b] : null;
  }
  protected async applyKey(s: Sample, key: string, _i: number, p: [number, number] | null): Promise<void> {
    if (!p) return;
    setData(s, key, await K.affineIntensity(getTensor(s, key, this.name).data, p[0], p[1]));
  }
}

/** Clara 3.x ScaleIntensityOscillation (assumed semantics): with probability `probability`
 * multiplies the intensities by 1 + u(-magnitude, magnitude). */
export class ScaleIntensityOscillation extends RandomMapTransform<number | null> {
  readonly name = 'ScaleIntensityOscillation';
  constructor(
    keys: string[],
    readonly magnitude = 0.1,
    readonly probability = 0.5,
  ) {
    super(keys);
  }
  protected override draw(_s: Sample, rng?: Rng): number | null {
    const g = this.stream(rng);
    const doIt = g.random() < this.probability;
    const f = 1 + g.uniform(-this.magnitude, this.magnitude);
    return doIt ? f : null;
  }
  protected async applyKey(s: Sample, key: string, _i: number, f: number | null): Promise<void> {
    if (f === null) return;
    setData(s, key, await K.affineIntensity(getTensor(s, key, this.name).data, f, 0));
  }
}

/** MONAI RandGaussianNoised: with probability prob adds N(mean, σ²), σ uniform in [0, std] when
 * sample_std (MONAI ≥ 1.2 default) else std. Clara 3.x AddGaussianNoise(probability=0.5,
 * variance=0.1) maps to std = sqrt(variance), sample_std false. The noise comes from the
 * counter-based kernel with a seed drawn here, so every key gets its own stream. */
export class RandGaussianNoised extends RandomMapTransform<{ std: number; seed: number } | null> {
  readonly name: string;
  constructor(
    keys: string[],
    readonly prob = 0.1,
    readonly mean = 0,
    readonly std = 0.1,
    readonly sampleStd = true,
    name = 'RandGaussianNoised',
  ) {
    super(keys);
    this.name = name;
  }
  protected override draw(_s: Sample, rng?: Rng): { std: number; seed: number } | null {
    const g = this.stream(rng);
    const doIt = g.random() < this.prob;
    const std = this.sampleStd ? g.uniform(0, this.std) : this.std;
    const seed = g.nextSeed();
    return doIt ? { std, seed } : null;
  }
  protected async applyKey(s: Sample, key: string, i: number, p: { std: number; seed: number } | null): Promise<void> {
    if (!p) return;
    setData(s, key, await K.gaussianNoise(getTensor(s, key, this.name).data, (p.seed + i * 0x9e3779b9) >>> 0, this.mean, p.std));
  }
}
