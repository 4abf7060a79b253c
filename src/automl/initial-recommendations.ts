// `initial_recommendations` (config_automl.json, top level): known-good configurations that
// run before the controller's own (Optuna's enqueue_trial), with every controller. Each is
// an object of the train config's variable names (the search entries' args) → values:
// a float/int item takes one number, an enum item takes the values of its args that make
// one of its choices; an item left out takes the config's own value when that is in the
// space. A value outside the search space is an error naming the entry and the field.
// The seeded configurations get the first recommendation ids; the controller's follow.
// A controller that can learn from results it did not ask for (`observe`) is told theirs.
import type { ConcreteValues, SearchItem, SearchSpace } from '../config/search-types.js';
import { ClaraError, joinPath } from '../util/errors.js';
import type { Context, Controller, Outcome, Recommendation } from './types.js';

/** A controller that learns from results of configurations it did not propose (TPE). */
interface Observer {
  observe(values: ConcreteValues, outcome: Outcome): void;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The raw `initial_recommendations` → concrete values for the search space. */
export function parseInitialRecommendations(raw: unknown, space: SearchSpace, place: { file: string; path: string }): ConcreteValues[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ClaraError('expected a list of configurations, each {"VARIABLE": value, ...}', place);
  const names = space.items.flatMap((it) => it.args.map((a) => a.replace(/^@/, '')));
  return raw.map((r, i) => {
    const at = { file: place.file, path: `${place.path}[${i}]` };
    if (!isObj(r)) throw new ClaraError('expected an object of search variables → values', at);
    for (const k of Object.keys(r)) {
      if (!names.includes(k) && !space.items.some((it) => it.key === k)) {
        throw new ClaraError(`'${k}' is not searched; the search variables are ${names.join(', ')}`, { ...at, path: joinPath(at.path, k) });
      }
    }
    const values: ConcreteValues = {};
    for (const item of space.items) values[item.key] = valueOf(item, r, at);
    return values;
  });
}

function valueOf(item: SearchItem, r: Record<string, unknown>, at: { file: string; path: string }): number | boolean {
  const args = item.args.map((a) => a.replace(/^@/, ''));
  if (r[item.key] !== undefined) return direct(item, r[item.key], { ...at, path: joinPath(at.path, item.key) });
  const given = args.map((a) => r[a]);
  const own = given.every((v) => v === undefined);
  const vals = own ? (item.current ?? []) : given;
  const where = { ...at, path: joinPath(at.path, args.find((a) => r[a] !== undefined) ?? args[0]) };
  const origin = own ? ` (not given; the config's value ${JSON.stringify(vals.length === 1 ? vals[0] : vals)})` : '';
  if (item.type === 'enum') {
    const idx = (item.choices ?? []).findIndex((c) => c.length === vals.length && c.every((v, j) => JSON.stringify(v) === JSON.stringify(vals[j])));
    if (idx < 0) {
      throw new ClaraError(
        `${args.join(', ')}${origin || ` = ${JSON.stringify(vals)}`} is none of the choices ${JSON.stringify(item.choices)} (values for ${args.join(', ')}, all of them)`,
        where,
      );
    }
    return idx;
  }
  if (given.some((v) => v === undefined) && !own) throw new ClaraError(`give one value for all of ${args.join(', ')} (one search entry)`, where);
  if (new Set(vals.map((v) => JSON.stringify(v))).size > 1)
    throw new ClaraError(`${args.join(', ')} take one value together, got ${JSON.stringify(vals)}`, where);
  return inRange(item, vals[0], where, origin);
}

function direct(item: SearchItem, v: unknown, at: { file: string; path: string }): number | boolean {
  if (item.type === 'enum') {
    const n = item.choices?.length ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n)
      throw new ClaraError(`expected a choice index from 0 to ${n - 1}, got ${JSON.stringify(v)}`, at);
    return v;
  }
  return inRange(item, v, at, '');
}

function inRange(item: SearchItem, v: unknown, at: { file: string; path: string }, origin: string): number | boolean {
  if (item.type === 'bool') {
    if (typeof v !== 'boolean') throw new ClaraError(`expected true or false${origin}, got ${JSON.stringify(v)}`, at);
    return v;
  }
  const [lo, hi] = item.range ?? [-Infinity, Infinity];
  const what = item.type === 'int' ? 'an integer' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v) || (item.type === 'int' && !Number.isInteger(v)) || v < lo || v > hi) {
    throw new ClaraError(`expected ${what} in the search range [${lo}, ${hi}]${origin}, got ${JSON.stringify(v)}`, at);
  }
  return v;
}

/** Runs `seeds` first (ids 0..k-1), then the controller's recommendations (their ids shifted by k). */
export class SeededController implements Controller {
  constructor(
    readonly inner: Controller,
    readonly seeds: ConcreteValues[],
  ) {}

  setSearchSpace(space: SearchSpace, ctx: Context): void {
    this.inner.setSearchSpace(space, ctx);
  }

  async initialRecommendation(ctx: Context): Promise<Recommendation[]> {
    const own = (await this.inner.initialRecommendation(ctx)).map((r) => this.out(r));
    return [...this.seeds.map((values, id) => ({ id, values, round: 1 })), ...own];
  }

  async refineRecommendation(outcome: Outcome, ctx: Context): Promise<Recommendation[]> {
    const k = this.seeds.length;
    const id = outcome.recommendation.id;
    if (id < k) {
      const o = this.inner as Partial<Observer>;
      if (typeof o.observe === 'function') o.observe(outcome.recommendation.values, outcome);
      return [];
    }
    const recs = await this.inner.refineRecommendation({ ...outcome, recommendation: { ...outcome.recommendation, id: id - k } }, ctx);
    return recs.map((r) => this.out(r));
  }

  shutdown(ctx: Context): void {
    this.inner.shutdown?.(ctx);
  }

  private out(r: Recommendation): Recommendation {
    return { ...r, id: r.id + this.seeds.length };
  }
}
