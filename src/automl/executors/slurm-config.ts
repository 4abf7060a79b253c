// SlurmExecutor's arguments from config_automl.json (`"executor": {"name": "SlurmExecutor",
// "args": {...}}`) and `--set workers=slurm:N`, validated here with the JSON path of each
// mistake; the result is the executor with its Slurm client (CLI, or slurmrestd when
// rest_url is given).
import { ClaraError } from '../../util/errors.js';
import type { MMARExecutorOptions } from '../executor.js';
import { SlurmCli } from './slurm-cli.js';
import { SlurmRest } from './slurm-rest.js';
import type { SlurmJobOptions } from './slurm-client.js';
import type { ExecutorEnv } from './env.js';
import { mmarExecutorOptions } from './local-options.js';
import { SlurmExecutor } from './slurm.js';

/** Every argument SlurmExecutor accepts (the registry checks names against this list). */
export const SLURM_EXECUTOR_ARGS = [
  'partition',
  'gres',
  'cpus_per_task',
  'mem',
  'time',
  'account',
  'qos',
  'sbatch_args',
  'max_concurrent',
  'node_env',
  'rest_url',
  'rest_user',
  'poll_s',
  'max_resubmits',
  'timeout_s',
  'stall_s',
  'command',
  'key_metric',
  'remove_search_augs',
  'msg_destination',
];

/** `slurm` or `slurm:N` → N concurrent Slurm jobs (undefined for any other workers spec). */
export function slurmWorkerCount(spec: string | undefined, place: { file?: string; path?: string } = { path: '--set workers' }): number | undefined {
  const s = spec?.trim();
  if (!s || !/^slurm\b/.test(s)) return undefined;
  const m = /^slurm(?::(\d+))?$/.exec(s);
  if (!m || (m[1] !== undefined && Number(m[1]) < 1)) throw new ClaraError(`expected workers 'slurm:N' (N ≥ 1 concurrent Slurm jobs), got '${s}'`, place);
  return m[1] === undefined ? 0 : Number(m[1]);
}

type Place = { file: string; path: string };

function str(a: Record<string, unknown>, k: string, p: Place, re?: RegExp, what?: string): string | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v.trim())
    throw new ClaraError(`expected a non-empty string${what ? ` (${what})` : ''}, got ${JSON.stringify(v)}`, { file: p.file, path: `${p.path}.args.${k}` });
  if (re && !re.test(v)) throw new ClaraError(`expected ${what}, got ${JSON.stringify(v)}`, { file: p.file, path: `${p.path}.args.${k}` });
  return v;
}

function posInt(a: Record<string, unknown>, k: string, p: Place, min = 1): number | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new ClaraError(`expected an integer ≥ ${min}, got ${JSON.stringify(v)}`, { file: p.file, path: `${p.path}.args.${k}` });
  return v;
}

function posNum(a: Record<string, unknown>, k: string, p: Place): number | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new ClaraError(`expected a number > 0, got ${JSON.stringify(v)}`, { file: p.file, path: `${p.path}.args.${k}` });
  return v;
}

function strList(a: Record<string, unknown>, k: string, p: Place): string[] | undefined {
  const v = a[k];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new ClaraError(`expected a list of strings, got ${JSON.stringify(v)}`, { file: p.file, path: `${p.path}.args.${k}` });
  return v as string[];
}

export interface SlurmSetup {
  executor: SlurmExecutor;
  /** Concurrent jobs: workers=slurm:N, else max_concurrent, else 1. */
  concurrent: number;
}

/** SlurmExecutor's args, checked (every mistake names its JSON path); builds nothing (config check runs it). */
function slurmArgs(args: Record<string, unknown>, place: Place) {
  const a = args;
  const time = str(a, 'time', place, /^(\d+(-\d+)?(:\d+){0,2}|\d+-\d+)$/, "a Slurm time limit: minutes, 'MM:SS', 'HH:MM:SS', 'D-HH' or 'D-HH:MM:SS'");
  const gres = str(a, 'gres', place, /^[\w.-]+(:[\w.-]+)*(,[\w.-]+(:[\w.-]+)*)*$/, "a gres list like 'gpu:1' or 'gpu:a100:2'");
  const mem = str(a, 'mem', place, /^\d+[KMGT]?$/i, "memory per node like '16G' or '4000M'");
  const restUrl = str(a, 'rest_url', place, /^https?:\/\/[^\s]+$/, 'an http(s) URL of slurmrestd');
  const sbatchArgs = strList(a, 'sbatch_args', place);
  if (restUrl && sbatchArgs?.length)
    throw new ClaraError('sbatch_args are command-line options and cannot go through slurmrestd; drop rest_url or sbatch_args', {
      file: place.file,
      path: `${place.path}.args.sbatch_args`,
    });
  if (sbatchArgs)
    for (const [i, x] of sbatchArgs.entries())
      if (!x.startsWith('-'))
        throw new ClaraError(`expected an sbatch option starting with '-', got ${JSON.stringify(x)}`, {
          file: place.file,
          path: `${place.path}.args.sbatch_args[${i}]`,
        });
  const job: SlurmJobOptions = {
    ...(str(a, 'partition', place) ? { partition: a.partition as string } : {}),
    ...(gres ? { gres } : {}),
    ...(posInt(a, 'cpus_per_task', place) ? { cpusPerTask: a.cpus_per_task as number } : {}),
    ...(mem ? { mem } : {}),
    ...(time ? { time } : {}),
    ...(str(a, 'account', place) ? { account: a.account as string } : {}),
    ...(str(a, 'qos', place) ? { qos: a.qos as string } : {}),
    ...(sbatchArgs ? { sbatchArgs } : {}),
  };
  const nodeEnv = strList(a, 'node_env', place);
  const pollS = posNum(a, 'poll_s', place);
  const maxResubmits = posInt(a, 'max_resubmits', place, 0);
  return { job, restUrl, restUser: str(a, 'rest_user', place), maxConcurrent: posInt(a, 'max_concurrent', place), nodeEnv, pollS, maxResubmits };
}

/** Checks SlurmExecutor's args as the factory does (registered as the spec's `check`). */
export function checkSlurmArgs(args: Record<string, unknown>, place: Place): void {
  slurmArgs(args, place);
}

/**
 * The executor from its args; `common` carries what every executor gets (MMAR, space,
 * source ...), `workersSpec` the --set workers value (slurm:N wins over max_concurrent).
 */
export function slurmExecutorFromArgs(
  args: Record<string, unknown>,
  place: Place,
  common: Omit<MMARExecutorOptions, 'msgDestination'>,
  workersSpec: string | undefined,
  log?: (l: string) => void,
): SlurmSetup {
  const a = slurmArgs(args, place);
  const concurrent = slurmWorkerCount(workersSpec) || a.maxConcurrent || 1;
  const client = a.restUrl ? new SlurmRest({ url: a.restUrl, ...(a.restUser ? { user: a.restUser } : {}) }) : new SlurmCli();
  const executor = new SlurmExecutor({
    ...common,
    client,
    job: a.job,
    concurrent,
    ...(a.nodeEnv ? { nodeEnv: a.nodeEnv } : {}),
    ...(a.pollS ? { pollS: a.pollS } : {}),
    ...(a.maxResubmits !== undefined ? { maxResubmits: a.maxResubmits } : {}),
    ...(log ? { log } : {}),
  });
  return { executor, concurrent };
}

/** The registered SlurmExecutor factory: the local executor's args and env, plus Slurm's. */
export function buildSlurmExecutor(a: Record<string, unknown>, place: Place, env: ExecutorEnv): SlurmExecutor {
  const { msgDestination, ...common } = mmarExecutorOptions(a, place, env);
  void msgDestination; // job output goes to the job's log.txt on the node
  if (env.workersSpec !== undefined && slurmWorkerCount(env.workersSpec) === undefined) {
    throw new ClaraError(`SlurmExecutor takes workers 'slurm:N' (N concurrent Slurm jobs), got '${env.workersSpec}'`, { path: 'workers' });
  }
  return slurmExecutorFromArgs(a, place, common, env.workersSpec, env.log).executor;
}
