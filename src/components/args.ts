// The one argument reader. Every component's args (registry factories, controllers,
// handlers, pruners, transforms, datasets, loaders) and the train config's scalars are
// read with one set of coercion rules and one error wording:
//   number   a JSON number, or a string that holds one ("1e-4"); `int`: a whole number
//   boolean  true / false, or the strings "true" / "false"
//   string   a string; a choice among known values matches case-insensitively
//   null     the same as leaving the arg out: the default applies
// An error names the file and the JSON path: `FILE: PATH: 'key' must be EXPECTED, got VALUE`.
import { ClaraError, closestNames, joinPath } from '../util/errors.js';

/** Where a value sits: its file and its own JSON path. */
interface ValuePlace {
  file?: string;
  path: string;
}

/** Where a component sits: its args are at `${path}.args` (a BuildContext is one). */
interface ArgsPlace {
  file?: string;
  path: string;
}

interface NumOptions {
  int?: boolean;
  min?: number;
  max?: number;
  minExclusive?: boolean;
}

/** The error every reader throws: `'key' must be EXPECTED, got VALUE`. */
export function argError(key: string, expected: string, value: unknown, at: ValuePlace): ClaraError {
  return new ClaraError(`'${key}' must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`, at);
}

/** A number by the rules above (`key` names it in the error). */
export function readNumber(v: unknown, key: string, at: ValuePlace, o: NumOptions = {}): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  const what = o.int ? 'an integer' : 'a number';
  if (typeof n !== 'number' || !Number.isFinite(n) || (o.int && !Number.isInteger(n))) throw argError(key, what, v, at);
  if (o.min !== undefined && (o.minExclusive ? n <= o.min : n < o.min)) throw argError(key, `${what} ${o.minExclusive ? '>' : '>='} ${o.min}`, v, at);
  if (o.max !== undefined && n > o.max) throw argError(key, `${what} <= ${o.max}`, v, at);
  return n;
}

/** A boolean by the rules above. */
export function readBool(v: unknown, key: string, at: ValuePlace): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw argError(key, 'true or false', v, at);
}

/** A string, or one of `allowed` (matched case-insensitively, returned as listed). */
export function readString<T extends string>(v: unknown, key: string, at: ValuePlace, allowed?: readonly T[]): T {
  const expected = allowed ? `one of ${allowed.join(', ')}` : 'a string';
  if (typeof v !== 'string') throw argError(key, expected, v, at);
  if (!allowed) return v as T;
  const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (hit === undefined) throw argError(key, expected, v, at);
  return hit;
}

const absent = (v: unknown) => v === undefined || v === null;

/** A component's args, read by the rules above; errors point at `${place.path}.args.KEY`. */
export class Args {
  constructor(
    readonly raw: Record<string, unknown>,
    readonly ctx: ArgsPlace,
  ) {}

  /**
   * Refuses args not in `allowed`: `WHO has no argument 'k'; it accepts ... (closest: ...)`.
   * Returns this, so a factory can write `new Args(raw, ctx).only...`.
   */
  allow(allowed: readonly string[], who: string): this {
    for (const k of Object.keys(this.raw)) {
      if (allowed.includes(k)) continue;
      const close = closestNames(k, allowed, 1);
      throw new ClaraError(`${who} has no argument '${k}'; it accepts ${allowed.join(', ')}` + (close.length ? ` (closest: ${close[0]})` : ''), this.place(k));
    }
    return this;
  }

  place(key: string): ValuePlace {
    return { file: this.ctx.file, path: joinPath(joinPath(this.ctx.path, 'args'), key) };
  }

  fail(key: string, expected: string): never {
    throw argError(key, expected, this.raw[key], this.place(key));
  }

  has(...keys: string[]): boolean {
    return keys.some((k) => !absent(this.raw[k]));
  }

  /** The first of `keys` present (aliases), else undefined. */
  pick(...keys: string[]): [string, unknown] | undefined {
    for (const k of keys) if (!absent(this.raw[k])) return [k, this.raw[k]];
    return undefined;
  }

  num(keys: string | string[], dflt: number, o: NumOptions = {}): number {
    const p = this.pick(...([] as string[]).concat(keys));
    return p ? readNumber(p[1], p[0], this.place(p[0]), o) : dflt;
  }

  optNum(keys: string | string[], o: NumOptions = {}): number | undefined {
    const p = this.pick(...([] as string[]).concat(keys));
    return p ? readNumber(p[1], p[0], this.place(p[0]), o) : undefined;
  }

  bool(keys: string | string[], dflt: boolean): boolean {
    const p = this.pick(...([] as string[]).concat(keys));
    return p ? readBool(p[1], p[0], this.place(p[0])) : dflt;
  }

  str<T extends string>(keys: string | string[], dflt: T, allowed?: readonly T[]): T {
    const p = this.pick(...([] as string[]).concat(keys));
    return p ? readString(p[1], p[0], this.place(p[0]), allowed) : dflt;
  }

  optStr(keys: string | string[]): string | undefined {
    const p = this.pick(...([] as string[]).concat(keys));
    return p ? readString(p[1], p[0], this.place(p[0])) : undefined;
  }

  /** A list of numbers (`n` given: exactly n; a single number is repeated n times). */
  nums(keys: string | string[], dflt: number[] | undefined, n?: number, o: NumOptions = {}): number[] | undefined {
    const p = this.pick(...([] as string[]).concat(keys));
    if (!p) return dflt;
    const [k, v] = p;
    const what = n !== undefined ? `${n} ${o.int ? 'integers' : 'numbers'}` : `a list of ${o.int ? 'integers' : 'numbers'}`;
    let list: unknown[];
    if (typeof v === 'number' && n !== undefined) list = Array(n).fill(v);
    else if (typeof v === 'string') list = v.split(',');
    else if (Array.isArray(v)) list = v;
    else return this.fail(k, what);
    if (n !== undefined && list.length !== n) this.fail(k, what);
    try {
      return list.map((x) => readNumber(x, k, this.place(k), o));
    } catch {
      return this.fail(k, what);
    }
  }

  /** A list of integers: a JSON array, a number (repeated `n` times when n given) or "1,2,2,4". */
  ints(keys: string | string[], dflt: number[] | undefined, n?: number): number[] | undefined {
    return this.nums(keys, dflt, n, { int: true });
  }

  /** Number or list of numbers (per class weights etc.). */
  numOrList(keys: string | string[]): number | number[] | undefined {
    const p = this.pick(...([] as string[]).concat(keys));
    if (!p) return undefined;
    return Array.isArray(p[1]) ? this.nums(keys, undefined) : readNumber(p[1], p[0], this.place(p[0]));
  }

  /** Refuses a Clara 3.x option whose only supported value is `supported`. */
  only(key: string, supported: unknown): void {
    if (!absent(this.raw[key]) && this.raw[key] !== supported) this.fail(key, `${JSON.stringify(supported)} (other values are not supported)`);
  }
}
