// `export` from an MMAR: the best checkpoint (or the one given) → a self-contained model folder
// (tfjs weights + architecture + preprocessing metadata) that `infer --model` accepts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initEngine } from '../engine/index.js';
import { ClaraError } from '../util/errors.js';
import { buildModelParts } from './build-setup.js';
import { disposeCheckpoint, loadCheckpoint, resolveCheckpointPath } from './checkpoint.js';
import { exportModel } from './export-model.js';
import { loadMmarWithOverrides as loadMmar } from './load-with-overrides.js';

interface ExportRunOptions {
  mmarRoot: string;
  config?: string;
  set?: string[];
  /** Checkpoint to export (default MMAR_CKPT_DIR/best). */
  model?: string;
  /** Output folder (default MMAR_CKPT_DIR/export). */
  output?: string;
  log?: (line: string) => void;
}

/** Writes the model folder; returns its path. */
export async function runExport(o: ExportRunOptions): Promise<string> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const m = loadMmar(o.mmarRoot, { config: o.config, set: o.set, automl: false });
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
