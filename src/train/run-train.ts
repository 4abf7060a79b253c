// One training job from an MMAR: load the config, choose the engine and AMP mode, build
// the components, train. What `clara-train train` (and so every AutoML job) runs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedMmar } from '../mmar/load.js';
import { loadMmarWithOverrides as loadMmar } from './load-with-overrides.js';
import { initEngine } from '../engine/index.js';
import { buildTrainSetup } from './build-setup.js';
import { trainWorkload } from './backend-workload.js';
import { trainStepMeasure } from './backend-probe.js';
import { EventBus } from './event-bus.js';
import type { JobEventHandler } from '../jobs/events.js';
import { TRAIN_STATS_FILE } from '../jobs/train-stats.js';
import { SystemSampler, systemMetricNames, systemMetricsInterval } from '../jobs/system-metrics.js';
import { Evaluator } from './evaluator.js';
import { ProgressLine } from './progress-line.js';
import { Trainer, type TrainResult } from './trainer.js';
import { setupTrainerOptions } from './setup-trainer-options.js';
import { resolveCheckpointPath } from './checkpoint.js';
import { ClaraError } from '../util/errors.js';
import { recoverDir } from '../util/atomic-fs.js';
import { checkConfigs } from '../config/check.js';
import { refuseUnrunnable } from '../config/refuse-unrunnable.js';

export interface RunTrainOptions {
  mmarRoot: string;
  /** Train config relative to the MMAR root (default config/config_train.json). */
  config?: string;
  set?: string[];
  /** Continue from MMAR_CKPT_DIR/last (weights, optimizer, epoch, best); 'if-checkpoint': when there is one, else start at epoch 1 (a requeued cluster job). */
  resume?: boolean | 'if-checkpoint';
  /** Start from these weights (a checkpoint folder or model.json). */
  finetune?: string;
  /** Train over this many epochs instead of the config's (the lr schedule's length). */
  epochs?: number;
  /** Stop after this epoch (an AutoML rung); --resume continues. */
  stopAfterEpoch?: number;
  handlers?: JobEventHandler[];
  /** Handlers that need the loaded MMAR and where the stats go (the CLI's MLflow run logger). */
  makeHandlers?: (c: { mmar: LoadedMmar; ckptDir: string; statsFile: string; backend: string; amp: string }) => Promise<JobEventHandler[]>;
  quiet?: boolean;
  log?: (s: string) => void;
  /** Called with the loaded MMAR before building (the CLI uses it to set up tracking). */
  onLoaded?: (m: LoadedMmar) => void | Promise<void>;
}

export async function runTraining(o: RunTrainOptions): Promise<TrainResult> {
  const progress = new ProgressLine(process.stderr, o.quiet ?? false);
  const log = o.log ?? ((s: string) => progress.log(s));
  const m = loadMmar(o.mmarRoot, { config: o.config, set: o.set, automl: false });
  refuseUnrunnable(checkConfigs([m.train], { mmarRoot: m.paths.root })); // what `config check` rejects, train rejects
  await o.onLoaded?.(m);
  const ampWanted = (() => {
    const t = (m.train.json.train as Record<string, unknown> | undefined)?.trainer as { args?: Record<string, unknown> } | undefined;
    const v = t?.args?.amp ?? m.train.json.use_amp ?? m.train.json.amp;
    return v === true || v === 'true';
  })();
  const workload = trainWorkload(m);
  const engine = await initEngine({ amp: ampWanted, log, measure: workload ? trainStepMeasure(workload, { log }) : undefined });
  const setup = await buildTrainSetup(m, log);
  if (o.epochs !== undefined) setup.epochs = o.epochs;
  for (const n of setup.notices) log(`notice: ${n}`);
  const backend = engine.backend.name + (engine.backend.nativeKernels ? '+native' : '');
  log(
    `backend ${backend}, amp ${engine.amp}${engine.ampDetail ? ` (${engine.ampDetail})` : ''}, ${setup.epochs} epochs, validation every ${setup.valInterval}`,
  );

  let resumeFrom: string | undefined;
  let initWeightsFrom: string | undefined = o.finetune;
  const last = join(setup.ckptDir, 'last');
  // a kill between the two renames of a checkpoint swap leaves the previous one aside: put it back
  const haveLast = o.resume ? recoverDir(last) && existsSync(resolveCheckpointPath(last)) : false;
  if (o.resume === 'if-checkpoint' && !haveLast) log('--resume-if-checkpoint: no last checkpoint yet; training from epoch 1');
  if (o.resume && haveLast) resumeFrom = last;
  else if (o.resume === true) throw new ClaraError('--resume: no last checkpoint to resume from', { file: last });
  else if (!initWeightsFrom && setup.loadCheckpoint) {
    const p = resolveCheckpointPath(setup.loadCheckpoint);
    if (!existsSync(p))
      throw new ClaraError('dont_load_ckpt_model is false but the checkpoint to load does not exist (MMAR_CKPT / CheckpointLoader load_path)', { file: p });
    // A `last` checkpoint with training state resumes; anything else initialises the weights.
    if (/\/last\/model\.json$/.test(p)) resumeFrom = p;
    else initWeightsFrom = p;
  }

  const bus = new EventBus();
  for (const h of o.handlers ?? []) bus.add(h);
  if (o.makeHandlers)
    for (const h of await o.makeHandlers({ mmar: m, ckptDir: setup.ckptDir, statsFile: join(setup.ckptDir, TRAIN_STATS_FILE), backend, amp: engine.amp }))
      bus.add(h);
  const sysInterval = systemMetricsInterval();
  const sampler =
    sysInterval > 0
      ? new SystemSampler({
          dir: setup.ckptDir,
          intervalS: sysInterval,
          gpus: (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',').filter(Boolean),
          continues: resumeFrom !== undefined,
          onSample: (s, i) => {
            void bus.emit('system_metrics', { iteration: i, metrics: systemMetricNames(s) });
          },
        }).start()
      : undefined;
  const evaluator = setup.val
    ? new Evaluator({ net: setup.net, inferer: setup.val.inferer, cases: setup.val.cases, metrics: setup.val.metrics, log })
    : undefined;
  const trainer = new Trainer({
    ...setupTrainerOptions(setup),
    evaluator,
    backend,
    amp: engine.amp,
    bus,
    resumeFrom,
    initWeightsFrom,
    stopAfterEpoch: o.stopAfterEpoch,
    progress,
    log,
    checkpointMeta: { config: m.paths.trainConfig, layout: setup.layout },
  });
  trainer.stats.backend_reason = engine.backend.reason;
  let ok = false;
  try {
    const r = await trainer.run();
    ok = true;
    return r;
  } finally {
    sampler?.stop();
    await bus.close(ok ? 'finished' : 'failed');
  }
}
