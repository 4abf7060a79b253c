// Reading a component's config args with errors that name the file and JSON path.
import type { BuildContext } from './registry.js';
import { ClaraError } from '../util/errors.js';

export class Args {
  constructor(readonly raw: Record<string, unknown>, readonly ctx: BuildContext) {}

  place(key: string) {
    return { file: this.ctx.file, path: `${this.ctx.path}.args.${key}` };
  }

  fail(key: string, expected: string): never {
    throw new ClaraError(`'${key}' must be ${expected}, got ${JSON.stringify(this.raw[key])}`, this.place(key));
  }

  has(...keys: string[]): boolean {
    return keys.some((k) => this.raw[k] !== undefined);
  }

  /** The first of `keys` present (aliases), else undefined. */
  pick(...keys: string[]): [string, unknown] | undefined {
    for (const k of keys) if (this.raw[k] !== undefined) return [k, this.raw[k]];
    return undefined;
  }

  num(keys: string | string[], dflt: number, o: { int?: boolean; min?: number; max?: number; minExclusive?: boolean } = {}): number {
    const p = this.pick(...([] as string[]).concat(keys));
    if (!p) return dflt;
    const [k, v0] = p;
    const v = typeof v0 === 'string' && v0.trim() !== '' && !Number.isNaN(Number(v0)) ? Number(v0) : v0;
    const what = o.int ? 'an integer' : 'a number';
    if (typeof v !== 'number' || !Number.isFinite(v) || (o.int && !Number.isInteger(v))) this.fail(k, what);
    if (o.min !== undefined && (o.minExclusive ? v <= o.min : v < o.min)) this.fail(k, `${what} ${o.minExclusive ? '>' : '>='} ${o.min}`);
    if (o.max !== undefined && v > o.max) this.fail(k, `${what} <= ${o.max}`);
    return v;
  }

  optNum(keys: string | string[], o: { int?: boolean; min?: number } = {}): number | undefined {
    return this.pick(...([] as string[]).concat(keys)) ? this.num(keys, 0, o) : undefined;
  }

  bool(keys: string | string[], dflt: boolean): boolean {
    const p = this.pick(...([] as string[]).concat(keys));
    if (!p) return dflt;
    const [k, v] = p;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    return this.fail(k, 'true or false');
  }

  str<T extends string>(keys: string | string[], dflt: T, allowed?: readonly T[]): T {
    const p = this.pick(...([] as string[]).concat(keys));
    if (!p) return dflt;
    const [k, v] = p;
    if (typeof v !== 'string') this.fail(k, allowed ? `one of ${allowed.join(', ')}` : 'a string');
    const low = (allowed?.find((a) => a.toLowerCase() === v.toLowerCase()) ?? v) as T;
    if (allowed && !allowed.includes(low)) this.fail(k, `one of ${allowed.join(', ')}`);
    return low;
  }

  /** A list of integers: a JSON array, a number (repeated `n` times when n given) or "1,2,2,4". */
  ints(keys: string | string[], dflt: number[] | undefined, n?: number): number[] | undefined {
    const p = this.pick(...([] as string[]).concat(keys));
    if (!p) return dflt;
    const [k, v] = p;
    let list: unknown[];
    if (typeof v === 'number' && n !== undefined) list = Array(n).fill(v);
    else if (typeof v === 'string') list = v.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
    else if (Array.isArray(v)) list = v;
    else return this.fail(k, 'a list of integers');
    if (list.some((x) => typeof x !== 'number' || !Number.isInteger(x))) this.fail(k, 'a list of integers');
    if (n !== undefined && list.length !== n) this.fail(k, `${n} integers`);
    return list as number[];
  }

  /** Number or list of numbers (per class weights etc.). */
  numOrList(keys: string | string[]): number | number[] | undefined {
    const p = this.pick(...([] as string[]).concat(keys));
    if (!p) return undefined;
    const [k, v] = p;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return v as number[];
    return this.fail(k, 'a number or a list of numbers');
  }

  /** Refuses a Clara 3.x option whose only supported value is `supported`. */
  only(key: string, supported: unknown): void {
    if (this.raw[key] !== undefined && this.raw[key] !== supported) this.fail(key, `${JSON.stringify(supported)} (other values are not supported)`);
  }
}
