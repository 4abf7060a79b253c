// `clara-train export -m MMAR [-o DIR]` → a self-contained model folder `infer --model` accepts
// (the workflow: src/train/run-export.ts).
import type { Command } from 'commander';
import { runExport } from '../train/run-export.js';
import { withMmarOptions } from './mmar-options.js';

interface Opts {
  mmar: string;
  config?: string;
  set?: string[];
  model?: string;
  output?: string;
}

export function registerExport(program: Command): void {
  withMmarOptions(
    program
      .command('export')
      .description('write a self-contained model folder (tfjs weights + architecture + preprocessing metadata) from the best checkpoint'),
  )
    .option('--model <path>', 'checkpoint to export (default MMAR_CKPT_DIR/best)')
    .option('-o, --output <dir>', 'output folder (default MMAR_CKPT_DIR/export)')
    .action(async (o: Opts) => {
      const out = await runExport({ mmarRoot: o.mmar, config: o.config, set: o.set, model: o.model, output: o.output });
      console.log(JSON.stringify({ output: out }));
    });
}
