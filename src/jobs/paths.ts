// Where a job's outputs go: MMAR_CKPT_DIR (default models/) holds best/, last/ and
// train_stats.json. Train resolves it from its variables; a reader of a job (the AutoML
// executor) resolves the job MMAR the same way, without --set (a job gets none).
import { join, resolve } from 'node:path';
import { loadMmar } from '../mmar/load.js';
import { TRAIN_STATS_FILE } from './train-stats.js';

export const DEFAULT_CKPT_DIR = 'models';

/** The checkpoint folder from the value of MMAR_CKPT_DIR (relative to the MMAR root; default models/). */
export function ckptDirFrom(mmarRoot: string, value: unknown): string {
  return resolve(mmarRoot, typeof value === 'string' && value !== '' ? value : DEFAULT_CKPT_DIR);
}

/** MMAR_CKPT_DIR of the MMAR at `mmarRoot` (its variables: train config top level, environment.json). */
export function jobCkptDir(mmarRoot: string, trainConfig?: string): string {
  let value: unknown;
  try {
    value = loadMmar(mmarRoot, { config: trainConfig, automl: false }).train.vars.value('MMAR_CKPT_DIR');
  } catch {
    // a job whose config does not load has failed in train, which reports why; the default applies here
  }
  return ckptDirFrom(resolve(mmarRoot), value);
}

/** MMAR_CKPT_DIR/train_stats.json of the MMAR at `mmarRoot`. */
export function jobTrainStatsFile(mmarRoot: string, trainConfig?: string): string {
  return join(jobCkptDir(mmarRoot, trainConfig), TRAIN_STATS_FILE);
}
