// Median pruning (beyond Clara): a running job whose key metric at a validation epoch is
// below the median of the jobs that ended before it, at the same epoch, is stopped
// (status PRUNED, score = its best so far).
import { Args } from '../components/args.js';
import type { Pruner } from '../components/contracts.js';
import type { Place } from './controllers/base.js';

export const MEDIAN_PRUNER_ARGS = ['n_startup_jobs', 'n_warmup_epochs', 'metric'];

export class MedianPruner implements Pruner {
  readonly nStartupJobs: number;
  readonly nWarmupEpochs: number;
  readonly metric: string | undefined;
  /** epoch → key-metric values of ended jobs. */
  private readonly ended = new Map<number, number[]>();
  private nEnded = 0;

  constructor(args: Record<string, unknown> = {}, place: Place = { file: 'config_automl.json', path: 'pruner' }) {
    const r = new Args(args, place).allow(MEDIAN_PRUNER_ARGS, 'MedianPruner');
    this.nStartupJobs = r.num('n_startup_jobs', 3, { int: true, min: 0 });
    this.nWarmupEpochs = r.num('n_warmup_epochs', 0, { int: true, min: 0 });
    this.metric = r.optStr('metric');
  }

  /** Should a job that reached `value` at `epoch` stop? */
  shouldPrune(epoch: number, value: number): boolean {
    if (this.nEnded < this.nStartupJobs || epoch < this.nWarmupEpochs) return false;
    const vals = this.ended.get(epoch);
    if (!vals || vals.length === 0) return false;
    return value < median(vals);
  }

  /** Records an ended job's history. */
  jobEnded(history: { epoch: number; value: number }[] | undefined): void {
    this.nEnded++;
    for (const h of history ?? []) {
      const a = this.ended.get(h.epoch) ?? [];
      a.push(h.value);
      this.ended.set(h.epoch, a);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
