// `clara-train info`: the native addon's build (version, CUDA, GPUs, threads), the
// TensorFlow libraries `setup tensorflow` installed, and the backend a job would get.
import type { Command } from 'commander';
import { info, largeBuffers } from '../native/index.js';
import { amxLine } from '../native/amx.js';
import { chooseBackend, describeBackend } from '../engine/index.js';
import { tensorflowSetupStates } from '../engine/setup/setup-state.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description(
      'show the native addon build (version, CUDA compiled in, GPU count, threads, AMX, large-buffer policy), the TensorFlow set up, and the backend choice',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const tfSetup = tensorflowSetupStates();
      const b = await chooseBackend({ log: () => {} });
      const tensorflow = tfSetup.length
        ? tfSetup.map((s) => `${s.package}: TensorFlow ${s.tfVersion} (${s.variant}) from ${s.libDir}`).join('; ')
        : 'not set up (clara-train setup tensorflow)';
      const backend = `${describeBackend(b)}; a training job measures tfjs-node against cpu-native on its own model when both work`;
      const i = { ...info(), amx: amxLine(), largeBuffers: largeBuffers(), tensorflow, backend };
      if (opts.json)
        console.log(
          JSON.stringify({
            ...info(),
            amx: amxLine(),
            largeBuffers: largeBuffers(),
            tensorflow: tfSetup,
            backend: { name: b.name, reason: b.reason, skipped: b.skipped },
          }),
        );
      else for (const [k, v] of Object.entries(i)) console.log(`${k.padEnd(12)} ${v}`);
    });
}
