// Which interrupted jobs of a resumed search continue from their last checkpoint instead of
// starting over: the last attempt of each unfinished recommendation that was running (or
// ended KILLED by a stop) when the search went down, was not a cluster job still queued or
// running (those are re-attached), and whose folder holds a `last` checkpoint.
import { join } from 'node:path';
import type { JournalState } from './journal.js';
import { resumableEpoch } from './job-checkpoint.js';

/** Recommendation id → the job folder name and the epoch its last checkpoint was taken after. */
export function continuableJobs(st: JournalState, runRoot: string): Map<number, { job: string; epoch: number }> {
  const done = new Set(st.finished.map((o) => o.recommendation.id));
  const attached = new Set([...st.attached.values()].filter((a) => !done.has(a.recommendationId)).map((a) => a.recommendationId));
  const lastAttempt = new Map<number, string>();
  for (const it of st.interrupted) {
    if (done.has(it.recommendationId) || attached.has(it.recommendationId)) continue;
    // st.interrupted lists jobs ended KILLED before those still running: a running one is the later attempt
    lastAttempt.set(it.recommendationId, it.job);
  }
  const out = new Map<number, { job: string; epoch: number }>();
  for (const [id, job] of lastAttempt) {
    const epoch = resumableEpoch(join(runRoot, job));
    if (epoch !== undefined) out.set(id, { job, epoch });
  }
  return out;
}
