// Clara 3.x (TensorFlow-era) standalone config_validation.json: recognised by its layout
// (model_loader, label_transforms, val_metrics, writers at the top level).
import { ClaraError } from '../util/errors.js';
import { mmarPaths } from '../mmar/paths.js';
import type { StandaloneOptions } from './standalone-config.js';
import type { StandaloneResult } from './run-standalone.js';

export async function runClara3Validation(o: StandaloneOptions): Promise<StandaloneResult> {
  const file = mmarPaths(o.mmarRoot, o.config).trainConfig;
  throw new ClaraError('this is a Clara 3.x (TensorFlow) standalone validation config (model_loader, label_transforms, val_metrics, writers), which clara-train does not run; use the validate section of the train config (`validate -m MMAR`) or a 4.x config_validation.json', { file, path: 'model_loader' });
}
