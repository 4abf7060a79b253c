// Search-space helpers the controllers share: a normalised view of each item
// ([0, 1] for numbers, a choice count for enums), sampling, and conditional
// activity (an item is active only when the `@disabled` switch that could turn its
// component off is off).
import type { ConcreteValues, SearchItem, SearchSpace } from '../config/search-types.js';
import type { Rng } from '../util/random.js';

export type DimKind = 'float' | 'int' | 'enum' | 'bool';

export interface Dim {
  key: string;
  kind: DimKind;
  item: SearchItem;
  /** float/int bounds (in the log domain when log). */
  low: number;
  high: number;
  log: boolean;
  /** enum: number of choices; bool: 2. */
  n: number;
}

export function dims(space: SearchSpace): Dim[] {
  return space.items.map((item) => {
    const kind = item.type as DimKind;
    if (kind === 'enum') return { key: item.key, kind, item, low: 0, high: 0, log: false, n: item.choices?.length ?? 0 };
    if (kind === 'bool') return { key: item.key, kind, item, low: 0, high: 0, log: false, n: 2 };
    const [lo, hi] = item.range ?? [0, 1];
    const log = Boolean(item.log) && lo > 0 && hi > 0;
    return { key: item.key, kind, item, low: log ? Math.log(lo) : lo, high: log ? Math.log(hi) : hi, log, n: 0 };
  });
}

export function isNumeric(d: Dim): boolean {
  return d.kind === 'float' || d.kind === 'int';
}

/** A number in [0, 1] → the item's value (int rounded, log undone, clipped). */
export function fromUnit(d: Dim, u: number): number {
  const x = Math.min(1, Math.max(0, u));
  if (d.kind === 'int') {
    const lo = Math.ceil(d.item.range![0]),
      hi = Math.floor(d.item.range![1]);
    return Math.min(hi, Math.max(lo, Math.round(lo - 0.5 + x * (hi - lo + 1) - 1e-12)));
  }
  const v = d.low + x * (d.high - d.low);
  const out = d.log ? Math.exp(v) : v;
  const [lo, hi] = d.item.range ?? [0, 1];
  return Math.min(hi, Math.max(lo, out));
}

/** The item's value → [0, 1]. */
export function toUnit(d: Dim, v: number): number {
  if (d.kind === 'int') {
    const lo = Math.ceil(d.item.range![0]),
      hi = Math.floor(d.item.range![1]);
    return hi === lo ? 0.5 : (v - lo + 0.5) / (hi - lo + 1);
  }
  const x = d.log ? Math.log(v) : v;
  return d.high === d.low ? 0.5 : (x - d.low) / (d.high - d.low);
}

/** A categorical index → the concrete value (enum: the index; bool: true/false). */
export function fromIndex(d: Dim, i: number): number | boolean {
  return d.kind === 'bool' ? i === 1 : i;
}

export function toIndex(d: Dim, v: unknown): number {
  if (d.kind === 'bool') return v ? 1 : 0;
  return Number(v);
}

/** A uniformly random value for one dimension. */
export function sampleDim(d: Dim, rng: Rng): number | boolean {
  if (isNumeric(d)) return fromUnit(d, rng.random());
  return fromIndex(d, rng.int(0, Math.max(1, d.n)));
}

/** One value per item, uniformly at random, inactive items dropped. */
export function sampleUniform(space: SearchSpace, rng: Rng): ConcreteValues {
  const values: ConcreteValues = {};
  for (const d of dims(space)) values[d.key] = sampleDim(d, rng);
  return dropInactive(space, values);
}

// ---- conditional parameters ----

export interface Condition {
  /** The item whose choice switches the component. */
  parentKey: string;
  /** Which arg of the parent's choices is the `@disabled` variable. */
  argIndex: number;
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '.') || path.startsWith(prefix + '[');
}

/** For each item, the switches that can disable the components it targets. */
export function conditions(space: SearchSpace): Map<string, Condition[]> {
  const out = new Map<string, Condition[]>();
  for (const child of space.items) {
    const paths = [...child.targets.map((t) => t.componentPath), child.path].filter((p): p is string => Boolean(p));
    const conds: Condition[] = [];
    for (const parent of space.items) {
      if (parent === child || !parent.switches) continue;
      for (const [variable, compPaths] of Object.entries(parent.switches)) {
        if (!compPaths.some((cp) => paths.some((p) => under(p, cp)))) continue;
        const argIndex = parent.args.findIndex((a) => a.replace(/^@/, '') === variable || a === variable);
        if (argIndex >= 0) conds.push({ parentKey: parent.key, argIndex });
      }
    }
    if (conds.length) out.set(child.key, conds);
  }
  return out;
}

/** The value a parent choice gives its `@disabled` variable at argIndex. */
function switchValue(parent: SearchItem, value: unknown, argIndex: number): unknown {
  if (parent.type === 'enum') return parent.choices?.[Number(value)]?.[argIndex];
  return value;
}

/** Is `key` active under these values (every switch that could disable it is off, recursively)? */
export function isActive(space: SearchSpace, key: string, values: ConcreteValues, conds = conditions(space), seen = new Set<string>()): boolean {
  const cs = conds.get(key);
  if (!cs) return true;
  if (seen.has(key)) return true;
  seen.add(key);
  const byKey = new Map(space.items.map((i) => [i.key, i]));
  for (const c of cs) {
    const parent = byKey.get(c.parentKey)!;
    if (!(c.parentKey in values)) return false;
    if (!isActive(space, c.parentKey, values, conds, seen)) return false;
    if (switchValue(parent, values[c.parentKey], c.argIndex)) return false;
  }
  return true;
}

/** A copy of `values` without the items that are inactive. */
export function dropInactive(space: SearchSpace, values: ConcreteValues): ConcreteValues {
  const conds = conditions(space);
  if (conds.size === 0) return values;
  const out: ConcreteValues = {};
  for (const [k, v] of Object.entries(values)) if (isActive(space, k, values, conds)) out[k] = v;
  return out;
}

/** A stable string for a set of values (dedupe, logs). */
export function valuesKey(values: ConcreteValues): string {
  return JSON.stringify(
    Object.keys(values)
      .sort()
      .map((k) => [k, values[k]]),
  );
}
