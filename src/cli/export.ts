// `clara-train export -m MMAR [-o DIR]` → a self-contained model folder `infer --model` accepts.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadMmarWithOverrides as loadMmar } from '../train/load-with-overrides.js';
import { initEngine } from '../engine/index.js';
import { buildModelParts } from '../train/build-setup.js';
import { disposeCheckpoint, loadCheckpoint, resolveCheckpointPath } from '../train/checkpoint.js';
import { exportModel } from '../train/export-model.js';
import { ClaraError } from '../util/errors.js';
import { withMmarOptions } from './mmar-options.js';

interface Opts { mmar: string; config?: string; set?: string[]; model?: string; output?: string }

export async function exportCommand(o: Opts): Promise<string> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const m = loadMmar(o.mmar, { config: o.config, set: o.set, automl: false });
  await initEngine({ amp: false, log });
  const parts = await buildModelParts(m, log);
  const src = resolveCheckpointPath(o.model ? resolve(o.model) : join(parts.ckptDir, 'best'));
  if (!existsSync(src)) throw new ClaraError('no trained model to export (train first, or give --model)', { file: src });
  const ck = loadCheckpoint(src);
  try {
    const out = await exportModel(m, parts, ck, o.output ? resolve(o.output) : join(parts.ckptDir, 'export'));
    log(`exported ${src} → ${out}`);
    return out;
  } finally {
    disposeCheckpoint(ck);
  }
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
      const out = await exportCommand(o);
      console.log(JSON.stringify({ output: out }));
    });
}
