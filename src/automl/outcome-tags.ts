// The MLflow tags of a job's outcome beyond its status and score: the failure kind, the
// attempts of a retried job, the training size an out-of-memory back-off lowered it to
// (a change of fidelity), the checkpoint epoch a resumed job continued from.
import { describeFidelity } from './fidelity.js';
import type { Outcome } from './types.js';

export function outcomeTags(o: Outcome): Record<string, string> {
  const t: Record<string, string> = {};
  if (o.failure) {
    t['clara.failure_kind'] = o.failure.kind;
    if (o.failure.exitCode !== undefined) t['clara.exit_code'] = String(o.failure.exitCode);
    if (o.failure.signal) t['clara.signal'] = o.failure.signal;
    if (o.failure.evidence) t['clara.failure_evidence'] = o.failure.evidence;
  }
  if (o.attempts?.length) {
    t['clara.attempts'] = String(o.attempts.length);
    t['clara.attempt_failures'] = o.attempts
      .filter((a) => a.status !== 'FINISHED')
      .map((a) => `${a.attempt}: ${a.failure?.kind ?? a.status.toLowerCase()}${a.fidelity ? ` at ${describeFidelity(a.fidelity)}` : ''}`)
      .join('; ');
  }
  if (o.fidelity) t['clara.fidelity'] = `lowered after out of memory: ${describeFidelity(o.fidelity)}`;
  if (o.resumedFromEpoch !== undefined) t['clara.resumed_from_epoch'] = String(o.resumedFromEpoch);
  return t;
}
