// Runs a pipeline with every random transform through a DataLoader and returns a SHA-256
// of all bytes it produced (used in-process and from child processes).
import { createHash } from 'node:crypto';
import { CacheDataset } from '../../src/data/cache-dataset.js';
import { DataLoader } from '../../src/data/data-loader.js';
import { Compose } from '../../src/transforms/compose.js';
import {
  RandGaussianNoised,
  RandScaleIntensityd,
  RandShiftIntensityd,
  ScaleIntensityOscillation,
  ScaleShiftIntensity,
} from '../../src/transforms/intensity-transforms.js';
import {
  CropFixedSizeRandomCenter,
  RandAffined,
  RandCropByPosNegLabeld,
  RandFlipd,
  RandomSpatialFlip,
  RandRotate90d,
} from '../../src/transforms/spatial-transforms.js';
import { items, SyntheticLoad } from './synthetic.js';

export async function pipelineHash(seed: number, workers: number, prefetch: number): Promise<string> {
  const keys = ['image', 'label'];
  const t = new Compose(
    [
      new SyntheticLoad([20, 18, 16]),
      new RandCropByPosNegLabeld(keys, 'label', [12, 12, 12], { num_samples: 2, image_key: 'image' }),
      new RandFlipd(keys, 0.5),
      new RandomSpatialFlip(keys),
      new RandRotate90d(keys, 0.5, 3, [1, 2]),
      new RandAffined(keys, {
        prob: 0.8,
        rotate_range: [0.3, 0.2, 0.1],
        shear_range: [0.1, [-0.2, 0.05], 0.1, 0.1, 0.15, 0.1],
        scale_range: [0.1, 0.1, 0.1],
        translate_range: [2, 2, 1],
        mode: ['bilinear', 'nearest'],
        padding_mode: ['reflection', 'zeros'],
      }),
      new CropFixedSizeRandomCenter(keys, [10, 10, 10]),
      new RandShiftIntensityd(['image'], 0.1, 0.5),
      new RandScaleIntensityd(['image'], 0.1, 0.5),
      new ScaleShiftIntensity(['image']),
      new ScaleIntensityOscillation(['image']),
      new RandGaussianNoised(['image'], 0.7, 0, 0.2),
    ],
    seed,
  );
  const ds = new CacheDataset(items(6), t, { numWorkers: workers, seed, progress: false });
  const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed, numWorkers: workers, prefetch });
  const h = createHash('sha256');
  for (let e = 0; e < 2; e++)
    for await (const b of loader.epoch(e)) {
      h.update(new Uint8Array(b.tensors.image.data.buffer));
      h.update(new Uint8Array(b.tensors.label.data.buffer));
    }
  return h.digest('hex');
}

if (process.argv[1]?.endsWith('determinism-run.ts')) {
  const [seed, workers, prefetch] = process.argv.slice(2).map(Number);
  console.log(await pipelineHash(seed, workers, prefetch));
}
