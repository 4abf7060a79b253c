// A retried job's earlier logs: before a retry the failed attempt's log.txt becomes
// log.attempt<N>.txt in the job folder, and preparing the folder again (a retry at a
// smaller size starts from a fresh clone) keeps those files.
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-fs.js';

const ATTEMPT_LOG = /^log\.attempt\d+\.txt$/;

/** Moves the job's log.txt to log.attempt<n>.txt (when there is one); a name an earlier job in the
 *  folder took (a successive-halving promotion trains in its configuration's folder) is never overwritten: the next free n. */
export function saveAttemptLog(jobRoot: string, n: number): void {
  const log = join(jobRoot, 'log.txt');
  if (!existsSync(log)) return;
  let k = n;
  while (existsSync(join(jobRoot, `log.attempt${k}.txt`))) k++;
  renameSync(log, join(jobRoot, `log.attempt${k}.txt`));
}

/** The attempt logs in the folder, read now and written back by restore() (after the folder is recreated). */
export function keepAttemptLogs(jobRoot: string): { restore(): void } {
  const kept: [string, Buffer][] = [];
  try {
    for (const n of readdirSync(jobRoot)) if (ATTEMPT_LOG.test(n)) kept.push([n, readFileSync(join(jobRoot, n))]);
  } catch {
    /* no folder yet */
  }
  return {
    restore: () => {
      for (const [n, data] of kept) writeFileAtomic(join(jobRoot, n), data, 'attempt log');
    },
  };
}
