// `--fold k` for train and validate: the same as `--set fold=k` (src/train/fold-data.ts).
import type { Command } from 'commander';
import { ClaraError } from '../util/errors.js';

export function withFoldOption(cmd: Command): Command {
  return cmd.option(
    '--fold <k>',
    'cross-validation fold: train on the other folds of the train datalist, validate on fold k (= --set fold=k; num_folds=N, default 5)',
  );
}

/** The --set list with `fold=k` appended when --fold was given. */
export function setWithFold(o: { fold?: string; set?: string[] }): string[] | undefined {
  if (o.fold === undefined) return o.set;
  if (!/^\d+$/.test(o.fold)) throw new ClaraError(`--fold must be an integer >= 0, got "${o.fold}"`);
  return [...(o.set ?? []), `fold=${Number(o.fold)}`];
}
