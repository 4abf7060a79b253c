// The engine's side of the objective direction (src/jobs/objective.ts): controllers and
// pruners keep maximising, so they get the search score (a distance such as HD95 negated);
// journal, handlers and the run summary keep the metric's own value.
import type { JobEvent } from '../jobs/events.js';
import { keyMetricOf } from '../jobs/key-metric.js';
import { keyMetricOfEvent, searchScore } from '../jobs/objective.js';
import type { Outcome } from './types.js';

/** The outcome a controller sees: score = search score (higher is better in every case). */
export function outcomeForController(o: Outcome): Outcome {
  return o.lowerIsBetter ? { ...o, score: searchScore(o) } : o;
}

/** The key-metric history a pruner records, in search-score terms. */
export function historyForPruner(o: Outcome): Outcome['history'] {
  return o.lowerIsBetter ? o.history?.map((h) => ({ epoch: h.epoch, value: -h.value })) : o.history;
}

/** The value of a validation_end event a pruner compares (its metric, else the job's key metric), negated for a distance key metric. */
export function prunerValue(e: JobEvent, metric: string | undefined): number | undefined {
  if (!e.metrics) return undefined;
  const km = keyMetricOfEvent(e.info);
  const v = keyMetricOf(e.metrics, metric ?? km?.name);
  if (v === undefined) return undefined;
  return km?.lowerIsBetter && (metric === undefined || metric === km.name) ? -v : v;
}

/**
 * A rung job's result for successive halving: the key metric at the rung's epoch (the last
 * validation at or before it), as Optuna's SuccessiveHalvingPruner and Ray Tune's ASHA
 * compare the value reported at the milestone, not the best so far: a best-so-far score
 * rewards a curve that oscillates (a high learning rate) over one still climbing. Without a
 * history, the job's score. In search-score terms; undefined when the job produced none.
 */
export function rungScore(o: Outcome): number | undefined {
  if ((o.status !== 'FINISHED' && o.status !== 'PRUNED') || !Number.isFinite(o.score)) return undefined;
  const at = o.rung?.epochs;
  const h = at === undefined ? [] : (historyForPruner(o) ?? []).filter((x) => x.epoch <= at && Number.isFinite(x.value));
  return h.length ? h.reduce((a, b) => (b.epoch > a.epoch ? b : a)).value : searchScore(o);
}
