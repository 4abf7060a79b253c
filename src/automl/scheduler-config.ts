// The `scheduler` component of config_automl.json ({"name": "ASHA" | "Hyperband", "args":
// {min_epochs, reduction_factor, max_epochs, brackets}}), with --set overrides:
// `scheduler=ASHA|Hyperband|none` picks it, `scheduler.<arg>=V` sets one argument.
// max_epochs defaults to the train config's epochs.
import { registry } from '../config/registry.js';
import { ClaraError, joinPath } from '../util/errors.js';
import { AshaScheduler } from './asha.js';
import { configEpochs } from './job-limits.js';

interface SchedulerConf {
  name?: string;
  path?: string;
  args?: Record<string, unknown>;
  disabled?: boolean;
}

/** The scheduler the config and --set ask for, or undefined (every job trains its full epochs). */
export function schedulerFromConfig(
  conf: SchedulerConf | undefined,
  vars: Record<string, string>,
  trainJson: unknown,
  file: string,
): AshaScheduler | undefined {
  let c = conf && !conf.disabled ? conf : undefined;
  let place = { file, path: 'scheduler' };
  const pick = vars.scheduler;
  if (pick !== undefined) {
    place = { file: '--set', path: 'scheduler' };
    if (pick === 'none' || pick === '') return undefined;
    c = { name: pick, args: c?.name === pick ? c.args : {} };
  }
  if (!c) return undefined;
  if (c.path) throw new ClaraError('a BYOC scheduler is not supported; use ASHA or Hyperband', { file, path: 'scheduler.path' });
  const spec = registry.require(c.name!, place, 'scheduler');
  const args: Record<string, unknown> = { ...c.args };
  for (const [k, v] of Object.entries(vars)) if (k.startsWith('scheduler.')) args[k.slice('scheduler.'.length)] = v;
  registry.checkArgs(spec, args, place);
  return new AshaScheduler(args, place, { maxEpochs: configEpochs(trainJson) }, spec.names[0]);
}

/** What a scheduler cannot run with, as one clear error. */
export function checkSchedulerFits(o: { pruner: boolean; builtinExecutor: boolean; numFolds: number }, file: string): void {
  const at = { file, path: 'scheduler' };
  if (o.pruner)
    throw new ClaraError('a scheduler (successive halving) and a pruner both stop jobs early; configure one of them', {
      file,
      path: joinPath('pruner', 'name'),
    });
  if (o.numFolds > 1) throw new ClaraError('a scheduler (successive halving) does not run cross-validated searches (num_folds > 1) yet', at);
  if (!o.builtinExecutor) throw new ClaraError('a scheduler (successive halving) runs on MMARExecutor or SlurmExecutor, not on a BYOC executor yet', at);
}
