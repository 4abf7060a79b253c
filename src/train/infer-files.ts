// `infer --model EXPORT --input a.nii.gz ...`: an exported model folder on new images with
// no MMAR: its metadata rebuilds the network (registry), the image pre-transforms and the
// inferer; each prediction is written as uint8 labels on the input image's grid.
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/index.js';
import { writeNifti } from '../io/nifti/index.js';
import { identityAffine } from '../io/volume.js';
import { registry } from '../config/registry.js';
import { composeFromConfig } from '../transforms/build.js';
import { Rng } from '../util/random.js';
import { ClaraError } from '../util/errors.js';
import { asCaseSource, asInferer } from './adapters.js';
import { disposeCheckpoint } from './checkpoint.js';
import { Evaluator } from './evaluator.js';
import { networkFromCheckpoint, readExportMetadata } from './export-model.js';
import { resampleLabels, sameGrid } from './resample-labels.js';

export interface InferFilesOptions {
  model: string;
  inputs: string[];
  output: string;
  log?: (s: string) => void;
}

export async function runInferFiles(o: InferFilesOptions): Promise<string[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const dir = resolve(o.model);
  const meta = readExportMetadata(dir);
  if (!meta) throw new ClaraError('not an exported model folder (no metadata.json): run `clara-train export` first, or give -m MMAR', { file: dir });
  await initEngine({ amp: false, log });
  const { net, ck } = networkFromCheckpoint(dir);
  disposeCheckpoint(ck);
  const place = { file: join(dir, 'metadata.json'), path: 'pre_transforms' };
  const compose = composeFromConfig(meta.pre_transforms, place, 0);
  const inf = meta.inferer
    ? registry
        .require(String(meta.inferer.name), { file: place.file, path: 'inferer.name' }, 'inferer')
        .factory((meta.inferer.args ?? {}) as Record<string, unknown>, { file: place.file, path: 'inferer' })
    : undefined;
  const inferer = asInferer(inf, { file: place.file, path: 'inferer' });
  // The inputs as a loader of transformed samples (one case at a time).
  const loader = {
    async *epoch() {
      for (const f of o.inputs) yield await compose.apply({ image: resolve(f) }, new Rng(0));
    },
  };
  const outDir = resolve(o.output);
  mkdirSync(outDir, { recursive: true });
  const outputs: string[] = [];
  await new Evaluator({
    net,
    inferer,
    cases: asCaseSource(loader, place, { image: 'image', label: '__none__' }),
    metrics: [],
    log,
    onPrediction: async (c, pred, shape) => {
      const affine = c.affine ?? identityAffine();
      const back = c.originalAffine && c.originalShape && !sameGrid(affine, shape, c.originalAffine, c.originalShape);
      const data = back ? resampleLabels(pred, shape, affine, c.originalShape!, c.originalAffine!) : Uint8Array.from(pred);
      const file = join(outDir, `${(c.file ? basename(c.file) : c.id).replace(/\.nii(\.gz)?$/, '')}_seg.nii.gz`);
      await writeNifti(file, { data, shape: back ? c.originalShape! : shape, affine: back ? c.originalAffine! : affine }, { dtype: 'uint8' });
      outputs.push(file);
      log(`wrote ${file}`);
    },
  }).run();
  tf.dispose(net.namedWeights().map((w) => w.variable));
  return outputs;
}
