// The commander program: one file per command, registered here.
import { Command } from 'commander';
import { registerInfo } from './info.js';
import { registerNifti } from './nifti-info.js';
import { registerConfigCheck } from './config-check.js';

export function buildProgram(): Command {
  const program = new Command('clara-train')
    .description('Clara Train-style AutoML for 3D medical image segmentation (TensorFlow.js + native kernels)')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  registerInfo(program);
  registerNifti(program);
  registerConfigCheck(program);
  return program;
}
