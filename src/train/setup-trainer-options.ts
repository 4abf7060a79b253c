// The Trainer's options that come straight from a built TrainSetup: what `clara-train train`
// hands the Trainer besides the run's own (evaluator, backend, AMP mode, events, resume).
import type { TrainSetup } from './build-setup.js';
import type { TrainerOptions } from './trainer.js';

type FromSetup =
  | 'net'
  | 'loss'
  | 'optimizer'
  | 'data'
  | 'epochs'
  | 'valInterval'
  | 'lrSchedule'
  | 'baseLr'
  | 'ckptDir'
  | 'keyMetricName'
  | 'seed'
  | 'modelSpec';

export function setupTrainerOptions(setup: TrainSetup): Pick<TrainerOptions, FromSetup> {
  return {
    net: setup.net,
    loss: setup.loss,
    optimizer: setup.optimizer,
    data: setup.data,
    epochs: setup.epochs,
    valInterval: setup.valInterval,
    lrSchedule: setup.lrSchedule,
    baseLr: setup.baseLr,
    ckptDir: setup.ckptDir,
    keyMetricName: setup.keyMetricName,
    seed: setup.seed,
    modelSpec: setup.modelSpec,
  };
}
