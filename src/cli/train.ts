// `clara-train train -m MMAR [--config config/config_train.json] [--set K=V ...]`
import type { Command } from 'commander';
import { native } from '../native/loader.js';
import { runTraining } from '../train/run-train.js';
import type { JobEvent } from '../jobs/events.js';
import { readTrainStats } from '../jobs/train-stats.js';
import { startTrainTracking } from '../tracking/train-run-logger.js';
import type { RunTrainOptions } from '../train/run-train.js';
import { withMmarOptions } from './mmar-options.js';
import { ClaraError } from '../util/errors.js';
import { setWithFold, withFoldOption } from './fold-option.js';

export interface TrainCliOptions {
  mmar: string;
  config?: string;
  set?: string[];
  resume?: boolean;
  resumeIfCheckpoint?: boolean;
  finetune?: string;
  quiet?: boolean;
  trackingUri?: string;
  fold?: string;
  epochs?: string;
  stopAfterEpoch?: string;
}

/** A whole number >= 1 from a command-line option, or a one-line usage error. */
function epochOption(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(v.trim())) throw new ClaraError(`expected a whole number of epochs >= 1, got '${v}'`, { path: flag });
  return Number(v);
}

/**
 * The MLflow run logger (tracking area) when MLFLOW_TRACKING_URI (or --tracking-uri) is set:
 * one run per `train`, per-epoch metrics from the job's events, final stats and artifacts.
 */
function trackingHandlers(uri: string | undefined): RunTrainOptions['makeHandlers'] {
  const trackingUri = uri;
  if (!trackingUri) return undefined;
  return async ({ mmar, statsFile, backend, amp }) => {
    const t = await startTrainTracking({
      mmarRoot: mmar.paths.root,
      runName: `train-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      trackingUri,
      params: Object.fromEntries(
        mmar.train.vars
          .entries()
          .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v.value) && v.source !== 'builtin')
          .map(([k, v]) => [k, v.value as string | number | boolean]),
      ),
      tags: { 'clara.backend': backend, 'clara.amp': amp, 'clara.config': mmar.paths.trainConfig },
    });
    return [
      {
        onJobEvent: (e: JobEvent) => t.logger.onEvent(e),
        close: async (status: 'finished' | 'failed') => {
          await t.close(readTrainStats(statsFile) ?? null, status === 'finished' ? 'FINISHED' : 'FAILED');
        },
      },
    ];
  };
}

/** A job started by `clara-train automl` stops when its parent goes away (kill -9 included):
 *  the parent's --resume reruns it; checkpoints are atomic, so nothing good is lost. */
function exitWithParent(): void {
  if (typeof process.send !== 'function') return;
  const stop = () => {
    process.stderr.write('clara-train train: the AutoML process that started this job has gone; stopping\n');
    process.exit(143);
  };
  // The parent may have gone while this process was still loading (a busy machine): no event comes then.
  if (!process.connected) stop();
  process.once('disconnect', stop);
  // A 'disconnect' listener refs the IPC channel, which would keep a finished job alive.
  process.channel?.unref();
  // The listener needs a free event loop; a long synchronous call (libtensorflow loading,
  // a tfjs-node train step under load) can hold it for seconds: the kernel's parent-death
  // signal ends the job then as well.
  try {
    native().exitWithParent(process.ppid);
  } catch {
    // no addon: the IPC listener alone
  }
}

export async function trainCommand(o: TrainCliOptions): Promise<void> {
  exitWithParent();
  // An AutoML job is tracked by the parent's MLflowHandler; logging it here too would make a second run.
  const trackingUri = process.env.CLARA_JOB_NAME ? o.trackingUri : (o.trackingUri ?? process.env.MLFLOW_TRACKING_URI);
  const epochs = epochOption(o.epochs, '--epochs');
  const stopAfterEpoch = epochOption(o.stopAfterEpoch, '--stop-after-epoch');
  const r = await runTraining({
    mmarRoot: o.mmar,
    config: o.config,
    set: setWithFold(o),
    resume: o.resume || (o.resumeIfCheckpoint ? 'if-checkpoint' : false),
    finetune: o.finetune,
    quiet: o.quiet,
    makeHandlers: trackingHandlers(trackingUri),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(stopAfterEpoch !== undefined ? { stopAfterEpoch } : {}),
  });
  const s = r.stats;
  process.stderr.write(
    `done: ${s.epochs_completed} epoch(s), best ${s.key_metric_name} ${s.best_key_metric?.toFixed(4) ?? 'n/a'} at epoch ${s.best_key_metric_epoch ?? '-'}, ${s.total_time_s?.toFixed(1)}s; best model ${r.bestCheckpoint ?? '(none: no validation)'}\n`,
  );
}

export { collect } from './mmar-options.js';

export function registerTrain(program: Command): void {
  withFoldOption(
    withMmarOptions(
      program.command('train').description('train a model from an MMAR (config/config_train.json): checkpoints and train_stats.json in MMAR_CKPT_DIR'),
    ),
  )
    .option('--resume', 'continue from MMAR_CKPT_DIR/last (weights, optimizer, epoch, best so far)')
    .option(
      '--resume-if-checkpoint',
      'continue from MMAR_CKPT_DIR/last when there is one, else train from epoch 1 (what a Slurm AutoML job runs, so that a requeue continues)',
    )
    .option('--finetune <checkpoint>', 'start from these weights (checkpoint folder or model.json)')
    .option('--epochs <n>', "train over n epochs instead of the config's (the length of the lr schedule)")
    .option('--stop-after-epoch <n>', 'stop after epoch n (validated and checkpointed); --resume continues with the same lr schedule')
    .option('-q, --quiet', 'no progress line')
    .option('--tracking-uri <uri>', 'log the run to MLflow (default $MLFLOW_TRACKING_URI)')
    .action(async (opts: TrainCliOptions) => trainCommand(opts));
}
