// The commander program: one file per command, registered here.
import { Command } from 'commander';
import './builtins.js';
import { registerInfo } from './info.js';
import { registerTrain } from './train.js';
import { registerValidate } from './validate.js';
import { registerInfer } from './infer.js';
import { registerExport } from './export.js';
import { registerInit } from './init.js';
import { registerAutoML } from './automl.js';
import { registerMlflowSync } from './mlflow-sync.js';
import { registerNifti } from './nifti-info.js';
import { registerConfigCheck } from './config-check.js';
import { registerEnsemble } from './ensemble.js';
import { registerSetup } from './setup.js';
import { registerPlan } from './plan.js';

export function buildProgram(): Command {
  const program = new Command('clara-train')
    .description('Clara Train-style AutoML for 3D medical image segmentation (TensorFlow.js + native kernels)')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  registerInfo(program);
  registerTrain(program);
  registerValidate(program);
  registerInfer(program);
  registerExport(program);
  registerInit(program);
  registerAutoML(program);
  registerMlflowSync(program);
  registerNifti(program);
  registerConfigCheck(program);
  registerEnsemble(program);
  registerSetup(program);
  registerPlan(program);
  return program;
}
