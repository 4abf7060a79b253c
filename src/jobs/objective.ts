// The search objective's direction. A job's key metric is a score (Dice, NSD: higher is
// better) or a distance (HD95: lower is better, CaseMetric.lowerIsBetter); the job says which
// in train_stats.json (key_metric_lower_is_better) and on every validation_end event (info).
// AutoML keeps the metric's own value everywhere a person reads it (journal, leaderboard,
// MLflow, report) and compares with the search score: the value negated for a distance, so
// that controllers, pruners and best/ keep maximising. A job without a score (failed) keeps
// Clara's -1000000, the worst in both directions.

/** The key metric's name and direction, as a validation_end event's info carries them. */
export function keyMetricInfo(name: string, lowerIsBetter: boolean): Record<string, string | boolean> {
  return { key_metric: name, key_metric_lower_is_better: lowerIsBetter };
}

/** What a validation_end event says about the key metric (undefined: a job from before the direction was sent). */
export function keyMetricOfEvent(info: Record<string, unknown> | undefined): { name: string; lowerIsBetter: boolean } | undefined {
  if (!info || typeof info.key_metric !== 'string') return undefined;
  return { name: info.key_metric, lowerIsBetter: info.key_metric_lower_is_better === true };
}

interface Scored {
  /** Absent: no score yet (worst). */
  score?: number;
  status: string;
  /** The score is a distance (lower is better). */
  lowerIsBetter?: boolean;
}

const VALID = new Set(['FINISHED', 'PRUNED']);

/** The value a maximising search compares: the score, negated when lower is better; failures as they are. */
export function searchScore(o: Scored): number {
  if (o.score === undefined) return -Infinity;
  return o.lowerIsBetter && VALID.has(o.status) && Number.isFinite(o.score) ? -o.score : o.score;
}

/** a is a better outcome than b (b undefined: a is better). */
export function betterThan(a: Scored, b: Scored | undefined): boolean {
  return b === undefined || searchScore(a) > searchScore(b);
}

/** The best of a list of outcomes, by search score (first wins ties). */
export function bestOf<T extends Scored>(xs: readonly T[]): T | undefined {
  return xs.reduce<T | undefined>((b, x) => (betterThan(x, b) ? x : b), undefined);
}

/** Sort comparator: best first. */
export function byScoreDesc(a: Scored, b: Scored): number {
  return searchScore(b) - searchScore(a);
}
