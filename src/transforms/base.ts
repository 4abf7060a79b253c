// Transform framework: array maths lives in kernels.ts/ops; dict transforms pick keys.
// Randomness only through randomize(rng) with a seeded Rng (src/util/random.ts): a
// transform draws its parameters synchronously at the start of apply(), from the Rng
// it is given (per-sample streams from Compose/Dataset) or from its own state.
import { ClaraError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { isTensor, metaKey, type MetaDict, type Sample, type Tensor } from './types.js';

export type TransformResult = Sample | Sample[];

export interface Randomizable {
  setRandomState(seed: number): void;
}

export abstract class Transform {
  /** The registered (config) name, for errors. */
  abstract readonly name: string;
  /** True for transforms that draw random numbers (they end the cacheable prefix). */
  readonly random: boolean = false;
  abstract apply(sample: Sample, rng?: Rng): TransformResult | Promise<TransformResult>;
}

export abstract class RandomTransform extends Transform implements Randomizable {
  override readonly random: boolean = true;
  protected rng = new Rng(0);
  setRandomState(seed: number): void {
    this.rng = new Rng(seed);
  }
  /** The Rng for this call: the one passed in, else this transform's own stream. */
  protected stream(rng?: Rng): Rng {
    return rng ?? this.rng;
  }
}

export function isRandomizable(t: unknown): t is Randomizable {
  return typeof (t as Randomizable)?.setRandomState === 'function';
}

/** Keys as `keys` (4.x) or `fields` (3.x) give them: a string or a list of strings. */
export function keyList(v: unknown, name: string, arg = 'keys'): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((k) => typeof k === 'string'))
    throw new ClaraError(`${name}: '${arg}' must be a key or a non-empty list of keys, got ${JSON.stringify(v)}`);
  return list as string[];
}

/** A per-key argument: one value for every key, or a list with one per key. */
export function perKey<T>(v: T | T[] | undefined, keys: string[], dflt: T, name: string, arg: string): T[] {
  if (v === undefined) return keys.map(() => dflt);
  if (Array.isArray(v)) {
    if (v.length !== keys.length) throw new ClaraError(`${name}: '${arg}' has ${v.length} entries for ${keys.length} keys`);
    return v;
  }
  return keys.map(() => v);
}

export function getTensor(s: Sample, key: string, name: string): Tensor {
  const v = s[key];
  if (!isTensor(v)) {
    const known = Object.keys(s).filter((k) => isTensor(s[k]));
    throw new ClaraError(
      `${name}: sample has no image tensor '${key}'` +
        (known.length ? ` (it has ${known.join(', ')})` : '') +
        (typeof v === 'string' ? `; '${key}' is still a file name: load it first (LoadImaged)` : ''),
    );
  }
  return v;
}

export function getMeta(s: Sample, key: string): MetaDict | undefined {
  return s[metaKey(key)] as MetaDict | undefined;
}

/** Channel-first 3D check: [C, i, j, k]. */
export function spatialOf(t: Tensor, name: string, key: string): { c: number; sp: [number, number, number] } {
  if (t.shape.length !== 4) throw new ClaraError(`${name}: '${key}' must be channel-first [C, i, j, k], got shape [${t.shape}] (add EnsureChannelFirstd)`);
  return { c: t.shape[0], sp: [t.shape[1], t.shape[2], t.shape[3]] };
}

/** A shallow copy of a sample with its meta dicts copied too (so spatial updates do not leak into caches). */
export function copySample(s: Sample): Sample {
  const out: Sample = { ...s };
  for (const k of Object.keys(out)) if (k.endsWith('_meta_dict') && out[k]) out[k] = { ...(out[k] as MetaDict) };
  return out;
}

/** Dict transform over `keys`; subclasses implement applyKey with one shared random draw. */
export abstract class MapTransform<P = void> extends Transform {
  constructor(
    readonly keys: string[],
    readonly allowMissingKeys = false,
  ) {
    super();
  }
  /** Draws this call's random parameters (none for deterministic transforms). */
  protected draw(_s: Sample, _rng: Rng | undefined): P {
    return undefined as P;
  }
  protected abstract applyKey(s: Sample, key: string, index: number, params: P): Promise<void> | void;
  async apply(sample: Sample, rng?: Rng): Promise<Sample> {
    const s = copySample(sample);
    const params = this.draw(s, rng);
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i];
      if (!(k in s)) {
        if (this.allowMissingKeys) continue;
        throw new ClaraError(`${this.name}: sample has no key '${k}' (it has ${Object.keys(s).join(', ')})`);
      }
      await this.applyKey(s, k, i, params);
    }
    return s;
  }
}

/** A random dict transform: draws in draw(), from the passed Rng or its own. */
export abstract class RandomMapTransform<P> extends MapTransform<P> implements Randomizable {
  override readonly random: boolean = true;
  protected rng = new Rng(0);
  setRandomState(seed: number): void {
    this.rng = new Rng(seed);
  }
  protected stream(rng?: Rng): Rng {
    return rng ?? this.rng;
  }
}
