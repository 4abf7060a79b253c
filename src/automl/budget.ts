// A search's budgets (config_automl.json top level, or --set): Clara's `max_sys_run_time`
// (seconds for the whole search in this process; when it is spent, running jobs are
// stopped and --resume continues), `max_job_run_time` (seconds per job: the executor's
// timeout_s under Clara's name; src/automl/job-limits.ts applies it) and `max_trials` (how
// many configurations must finish with a score: failed ones and a configuration's later
// rungs do not count; once reached no new configuration starts, promotions still run).
import { readFileSync } from 'node:fs';
import { ClaraError } from '../util/errors.js';

interface Budget {
  maxTrials?: number;
  maxSysRunTimeS?: number;
  maxJobRunTimeS?: number;
}

const KEYS = { max_trials: 'maxTrials', max_sys_run_time: 'maxSysRunTimeS', max_job_run_time: 'maxJobRunTimeS' } as const;

/** The budgets of config_automl.json (`file`), --set `vars` first. */
export function readBudget(file: string, vars: Record<string, string>): Budget {
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    /* readAutoMLConfig reports it */
  }
  const out: Budget = {};
  for (const [key, field] of Object.entries(KEYS)) {
    const v = vars[key] ?? raw[key];
    if (v === undefined) continue;
    const at = vars[key] !== undefined ? { path: `--set ${key}` } : { file, path: key };
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    const int = key === 'max_trials';
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || (int && !Number.isInteger(n))) {
      throw new ClaraError(`${key} must be ${int ? 'a whole number of configurations >= 1' : 'a number of seconds > 0'}, got ${JSON.stringify(v)}`, at);
    }
    out[field] = n;
  }
  return out;
}

/** Executor args with max_job_run_time as timeout_s (the two must agree when both are given). */
export function withJobRunTime(args: Record<string, unknown>, b: Budget, file: string): Record<string, unknown> {
  if (b.maxJobRunTimeS === undefined) return args;
  if (args.timeout_s !== undefined && args.timeout_s !== b.maxJobRunTimeS) {
    throw new ClaraError(`max_job_run_time (${b.maxJobRunTimeS}) and executor.args.timeout_s (${JSON.stringify(args.timeout_s)}) disagree; give one of them`, {
      file,
      path: 'max_job_run_time',
    });
  }
  return { ...args, timeout_s: b.maxJobRunTimeS };
}
