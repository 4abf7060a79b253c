// `clara-train train -m MMAR [--config config/config_train.json] [--set K=V ...]`
import type { Command } from 'commander';
import { runTraining } from '../train/run-train.js';
import type { JobEventHandler } from '../train/events.js';

export interface TrainCliOptions {
  mmar: string;
  config?: string;
  set?: string[];
  resume?: boolean;
  finetune?: string;
  quiet?: boolean;
}

/** The MLflow run logger (tracking area) when MLFLOW_TRACKING_URI is set and the module is there. */
async function trackingHandlers(mmarRoot: string, configFile: string): Promise<JobEventHandler[]> {
  if (!process.env.MLFLOW_TRACKING_URI) return [];
  const spec = '../tracking/train-run-logger.js';
  try {
    const mod = (await import(spec)) as Record<string, unknown>;
    const make = (mod.createTrainRunLogger ?? mod.trainRunLogger) as ((o: { mmarRoot: string; configFile: string }) => JobEventHandler | Promise<JobEventHandler>) | undefined;
    if (typeof make !== 'function') return [];
    return [await make({ mmarRoot, configFile })];
  } catch (e) {
    process.stderr.write(`warning: MLFLOW_TRACKING_URI is set but the MLflow run logger could not start: ${(e as Error).message}\n`);
    return [];
  }
}

export async function trainCommand(o: TrainCliOptions): Promise<void> {
  const handlers = await trackingHandlers(o.mmar, o.config ?? 'config/config_train.json');
  const r = await runTraining({ mmarRoot: o.mmar, config: o.config, set: o.set, resume: o.resume, finetune: o.finetune, quiet: o.quiet, handlers });
  const s = r.stats;
  process.stderr.write(`done: ${s.epochs_completed} epoch(s), best ${s.key_metric_name} ${s.best_key_metric?.toFixed(4) ?? 'n/a'} at epoch ${s.best_key_metric_epoch ?? '-'}, ${s.total_time_s?.toFixed(1)}s; best model ${r.bestCheckpoint ?? '(none: no validation)'}\n`);
}

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model from an MMAR (config/config_train.json): checkpoints and train_stats.json in MMAR_CKPT_DIR')
    .requiredOption('-m, --mmar <dir>', 'MMAR root')
    .option('-c, --config <file>', 'train config, relative to the MMAR root', 'config/config_train.json')
    .option('-s, --set <K=V...>', 'override variables (K=V, several allowed)', (v: string, p: string[] = []) => [...p, v])
    .option('--resume', 'continue from MMAR_CKPT_DIR/last (weights, optimizer, epoch, best so far)')
    .option('--finetune <checkpoint>', 'start from these weights (checkpoint folder or model.json)')
    .option('-q, --quiet', 'no progress line')
    .action(async (opts: TrainCliOptions) => trainCommand(opts));
}
