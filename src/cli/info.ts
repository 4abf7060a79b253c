// `clara-train info`: the native addon's build (version, CUDA, GPUs, threads).
import type { Command } from 'commander';
import { info, largeBuffers } from '../native/index.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the native addon build: version, CUDA compiled in, GPU count, threads, large-buffer policy')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const i = { ...info(), largeBuffers: largeBuffers() };
      if (opts.json) console.log(JSON.stringify(i));
      else for (const [k, v] of Object.entries(i)) console.log(`${k.padEnd(12)} ${v}`);
    });
}
