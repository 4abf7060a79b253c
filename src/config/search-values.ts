// Concrete values for a SearchSpace: validation, defaults, and the per-arg values they mean.
// A value is: float/int → a number in [min, max]; enum → the index of the chosen choice (the
// choice list itself is accepted too); bool → true/false.
import { ClaraError, closestNames } from '../util/errors.js';
import type { ConcreteValues, SearchItem, SearchSpace } from './search-types.js';

const place = { file: 'search values' };

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The enum index `v` stands for (an index, or the choice list itself). */
function enumIndex(item: SearchItem, v: unknown): number {
  const choices = item.choices ?? [];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < choices.length) return v;
  if (Array.isArray(v)) {
    const i = choices.findIndex((c) => sameJson(c, v));
    if (i >= 0) return i;
  }
  throw new ClaraError(`expected the index of a choice (0..${choices.length - 1}) of ${JSON.stringify(choices)}, found ${JSON.stringify(v)}`, {
    ...place,
    path: item.key,
  });
}

/** Checks one value against its item; returns it normalised (enum → index). */
function checkValue(item: SearchItem, v: unknown): number | boolean {
  const where = { ...place, path: item.key };
  switch (item.type) {
    case 'float':
    case 'int': {
      const [lo, hi] = item.range ?? [-Infinity, Infinity];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ClaraError(`expected a number in [${lo}, ${hi}], found ${JSON.stringify(v)}`, where);
      if (item.type === 'int' && !Number.isInteger(v)) throw new ClaraError(`expected an integer in [${lo}, ${hi}], found ${v}`, where);
      const tol = 1e-12 * Math.max(1, Math.abs(lo), Math.abs(hi));
      if (v < lo - tol || v > hi + tol) throw new ClaraError(`expected a number in [${lo}, ${hi}], found ${v}`, where);
      return v;
    }
    case 'enum':
      return enumIndex(item, v);
    case 'bool':
      if (typeof v !== 'boolean') throw new ClaraError(`expected true or false, found ${JSON.stringify(v)}`, where);
      return v;
  }
}

export interface ValidateOptions {
  /** Keys missing from `values` get their default instead of an error. */
  allowMissing?: boolean;
}

/** Validates a values object against the space: unknown keys, missing keys, wrong values name the key. */
export function validateValues(space: SearchSpace, values: ConcreteValues, opts: ValidateOptions = {}): Record<string, number | boolean> {
  const keys = space.items.map((i) => i.key);
  for (const k of Object.keys(values)) {
    if (!keys.includes(k)) {
      const close = closestNames(k, keys);
      throw new ClaraError(`unknown search key` + (close.length ? `; closest: ${close.join(', ')}` : '; the space has no keys'), { ...place, path: k });
    }
  }
  const defaults = opts.allowMissing ? sampleDefaults(space) : {};
  const out: Record<string, number | boolean> = {};
  for (const item of space.items) {
    if (!(item.key in values)) {
      if (opts.allowMissing) {
        out[item.key] = defaults[item.key] as number | boolean;
        continue;
      }
      throw new ClaraError('missing value for search key', { ...place, path: item.key });
    }
    out[item.key] = checkValue(item, values[item.key]);
  }
  return out;
}

/**
 * One value per key: the config's current value where it fits the item (for enum, the choice
 * equal to the current values), else float → the midpoint (geometric for log scale), int → the
 * rounded midpoint, enum → the first choice that leaves every switched component enabled (all its
 * `@disabled` values false), else choice 0; bool → false.
 */
export function sampleDefaults(space: SearchSpace): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const item of space.items) {
    const cur = item.current?.[0];
    if (item.type === 'float' || item.type === 'int') {
      const [lo, hi] = item.range!;
      if (typeof cur === 'number' && cur >= lo && cur <= hi && (item.type === 'float' || Number.isInteger(cur))) out[item.key] = cur;
      else if (item.type === 'int') out[item.key] = Math.round((lo + hi) / 2);
      else out[item.key] = item.log ? Math.sqrt(lo * hi) : (lo + hi) / 2;
    } else if (item.type === 'bool') {
      out[item.key] = typeof cur === 'boolean' ? cur : false;
    } else {
      const choices = item.choices ?? [];
      let i = choices.findIndex((c) => sameJson(c, item.current));
      if (i < 0 && item.switches) {
        // Nothing set yet: prefer the choice that leaves switched components enabled as written.
        const isSwitch = item.targets.map((t) => t.kind === 'disabled' || (t.kind === 'var' && item.switches![t.name] !== undefined));
        i = choices.findIndex((c) => c.every((v, j) => !isSwitch[j] || v === false));
      }
      out[item.key] = i >= 0 ? i : 0;
    }
  }
  return out;
}

/** The value each arg of `item` takes for the (validated) value `v`. */
export function argValues(item: SearchItem, v: number | boolean): unknown[] {
  if (item.type === 'enum') return item.choices![v as number];
  return item.args.map(() => v);
}
