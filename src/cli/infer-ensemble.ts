// `infer --model ENSEMBLE|EXPORT --input FILES [--tta] [--no-postprocess] [--ensemble MORE...]`:
// an ensemble folder (automl's best/ or `clara-train ensemble`'s output) or exported models
// averaged, with mirror TTA and the ensemble's recorded postprocessing.
import { Option } from 'commander';
import { resolve } from 'node:path';
import { readEnsembleManifest, runInferWithEnsemble } from '../train/infer-ensemble.js';
import { ClaraError } from '../util/errors.js';

export const ensembleOptions = [
  new Option('--tta', 'test-time augmentation: mean over the 8 mirror images (every spatial axis flipped or not)'),
  new Option('--no-postprocess', "do not apply the ensemble's recorded postprocessing (largest connected component)"),
  new Option('--ensemble <dirs...>', 'more exported models to average with --model (mean of probabilities)'),
];

/** Runs the ensemble path when it applies (returns false to leave the command to the single-model paths). */
export async function inferEnsembleAction(o: {
  input?: string[];
  model?: string;
  output?: string;
  tta?: boolean;
  postprocess?: boolean;
  ensemble?: string[];
  mmar?: string;
}): Promise<boolean> {
  const isEnsemble = !!o.model && !!readEnsembleManifest(resolve(o.model));
  if (!isEnsemble && !o.tta && !o.ensemble?.length) return false;
  if (!o.input?.length || !o.model) throw new ClaraError('--tta, --ensemble and ensemble folders work with --model DIR --input FILES');
  const outputs = await runInferWithEnsemble({
    model: o.model,
    inputs: o.input,
    output: o.output ?? '.',
    tta: o.tta,
    postprocess: o.postprocess,
    extraModels: o.ensemble,
  });
  console.log(JSON.stringify({ outputs }));
  return true;
}
