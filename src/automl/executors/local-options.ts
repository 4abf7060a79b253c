// MMARExecutor's arguments (`"executor": {"name": "MMARExecutor", "args": {...}}`), checked
// with the JSON path of each mistake; SlurmExecutor shares them for its job MMARs.
import { ClaraError } from '../../util/errors.js';
import type { MMARExecutorOptions } from '../executor.js';
import { jobLimits } from '../job-limits.js';
import { memoryLimitMb } from '../memory-limit.js';
import type { ExecutorEnv } from './env.js';

type Place = { file: string; path: string };

/** Every argument MMARExecutor accepts (the registry checks names against this list). */
export const MMAR_EXECUTOR_ARGS = ['msg_destination', 'remove_search_augs', 'timeout_s', 'stall_s', 'command', 'key_metric', 'memory_limit_mb'];

/** Checks the values of the args every executor takes (registered as the spec's `check`). */
export function checkExecutorArgs(a: Record<string, unknown>, place: Place): void {
  if (a.command !== undefined && !(Array.isArray(a.command) && a.command.length > 0 && a.command.every((x) => typeof x === 'string'))) {
    throw new ClaraError('expected command: a non-empty list of strings ({mmar} is the job MMAR)', { file: place.file, path: `${place.path}.args.command` });
  }
  if (a.msg_destination !== undefined && a.msg_destination !== 'file' && a.msg_destination !== 'console') {
    throw new ClaraError(`expected msg_destination 'file' or 'console', got ${JSON.stringify(a.msg_destination)}`, {
      file: place.file,
      path: `${place.path}.args.msg_destination`,
    });
  }
  jobLimits(a, undefined, { file: place.file, path: `${place.path}.args` });
  memoryLimitMb(a, { file: place.file, path: `${place.path}.args` });
}

/** The options of a local job executor from its args and the search's env. */
export function mmarExecutorOptions(a: Record<string, unknown>, place: Place, env: ExecutorEnv): MMARExecutorOptions {
  checkExecutorArgs(a, place);
  return {
    mmarRoot: env.mmarRoot,
    trainConfigFile: env.trainConfigFile,
    space: env.space,
    source: env.source,
    removeSearchAugs: a.remove_search_augs !== false,
    keyMmarContentOnly: env.keyMmarContentOnly,
    exclude: env.exclude,
    ...(a.command ? { command: a.command as string[] } : {}),
    ...jobLimits(a, env.trainJson, { file: place.file, path: `${place.path}.args` }),
    ...(typeof a.key_metric === 'string' ? { keyMetric: a.key_metric } : {}),
    msgDestination: (a.msg_destination as 'file' | 'console' | undefined) ?? 'file',
    ...(a.memory_limit_mb ? { memoryLimitMb: memoryLimitMb(a, { file: place.file, path: `${place.path}.args` }) } : {}),
  };
}
