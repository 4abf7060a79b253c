// `clara-train setup tensorflow [--gpu] [--tf-version V] [--json]`.
import type { Command } from 'commander';
import { ClaraError } from '../util/errors.js';
import { setupTensorflow } from '../engine/setup/tensorflow-setup.js';
import { DEFAULT_TF_VERSION } from '../engine/setup/tensorflow-wheel.js';

export function registerSetup(program: Command): void {
  const setup = program.command('setup').description('install optional backends');
  setup
    .command('tensorflow')
    .description(
      `libtensorflow from PyPI's TensorFlow wheel under tfjs-node (CPU) or tfjs-node-gpu (--gpu, CUDA 12 runtime wheels alongside); cached, idempotent`,
    )
    .option('--gpu', 'the CUDA build (tensorflow[and-cuda]) for @tensorflow/tfjs-node-gpu')
    .option('--tf-version <V>', 'TensorFlow release', DEFAULT_TF_VERSION)
    .option('--from <site-packages>', 'use a TensorFlow pip already installed there (tensorflow/, and nvidia/ for --gpu) instead of downloading')
    .option('--json', 'print the report as JSON')
    .action((opts: { gpu?: boolean; tfVersion: string; from?: string; json?: boolean }) => {
      const r = setupTensorflow({ gpu: !!opts.gpu, tfVersion: opts.tfVersion, from: opts.from });
      if (opts.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(`package      ${r.package} (${r.packageDir})`);
      console.log(`tensorflow   ${r.tfVersion} (${r.variant}, ${r.libDir}${r.librariesCached ? ', cached' : ''})`);
      console.log(`binding      ${r.binding}${r.bindingCached ? ' (cached)' : ' (built)'}`);
      console.log(`onednn       ${r.probe.onednn}`);
      console.log(`devices      ${r.probe.devices.join(', ')}`);
      console.log(`conv3d       max |tensorflow - tfjs cpu| = ${r.probe.conv3dMaxDiffVsCpu}`);
      console.log(`use it       CLARA_BACKEND=tfjs-node${r.variant === 'gpu' ? '-gpu' : ''} (or let the backend choice measure it)`);
      console.log(`took         ${r.seconds.toFixed(1)} s`);
      if (!r.probe.ok) throw new ClaraError('setup tensorflow: the probe failed');
    });
}
