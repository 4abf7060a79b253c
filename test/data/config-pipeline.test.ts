// The data blocks of real Clara configs build into working loaders on real NIfTI:
// 4.x `dataset` + `dataloader` through the config builder (refs, @pre_transforms, ctx.extra),
// and buildDataPipeline for a 4.x train section and a 3.x image_pipeline section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNifti, writeNifti } from '../../src/io/nifti/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { ConfigBuilder } from '../../src/config/build.js';
import { buildDataPipeline } from '../../src/data/build.js';
import { CacheDataset } from '../../src/data/cache-dataset.js';
import { DataLoader } from '../../src/data/data-loader.js';
import '../../src/cli/builtins.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, '..', 'fixtures', 'clara-examples');
const CH2 = '/usr/share/mricron/templates/ch2.nii.gz';
const CH2BET = '/usr/share/mricron/templates/ch2bet.nii.gz';
const missing = !existsSync(CH2) || !existsSync(CH2BET) ? 'mricron-data is not installed' : undefined;
if (missing && process.env.CI === 'true') throw new Error(`${missing} (required under CI=true)`);

/** environment.json of the example MMAR, with the data variables pointing at `dir`. */
function envFor(version: 'clara3' | 'clara4', dir: string): Record<string, unknown> {
  const env = JSON.parse(readFileSync(join(fixtures, version, 'environment.json'), 'utf8'));
  return { ...env, MMAR_CKPT: join(dir, 'model.pt'), MMAR_CKPT_DIR: dir, DATASET_JSON: join(dir, 'dataset.json'), DATA_ROOT: dir };
}

async function dataDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'clara-data-'));
  const bet = await readNifti(CH2BET);
  const lab = new Uint8Array(bet.data.length).map((_, i) => (bet.data[i] > 0 ? 1 : 0));
  await writeNifti(join(dir, 'label.nii.gz'), { data: lab, shape: bet.shape, affine: bet.affine });
  writeFileSync(
    join(dir, 'dataset.json'),
    JSON.stringify({
      training: [
        { image: CH2, label: 'label.nii.gz' },
        { image: CH2, label: 'label.nii.gz' },
      ],
      validation: [{ image: CH2, label: 'label.nii.gz' }],
    }),
  );
  return dir;
}

test('clara4 trn_autoML_Loss_Optimizer: train.dataset and train.dataloader build through the config builder and load batches', { skip: missing }, async () => {
  const dir = await dataDir();
  try {
    const file = join(fixtures, 'clara4', 'trn_autoML_Loss_Optimizer.json');
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    const cfg = resolveConfig(raw, { file, layers: [{ values: envFor('clara4', dir), source: 'environment' }] });
    const b = await ConfigBuilder.create(cfg, { mmarRoot: dir });
    const ds = b.build('train.dataset');
    assert.ok(ds instanceof CacheDataset);
    assert.equal(ds.length, 2);
    const loader = b.build('train.dataloader');
    assert.ok(loader instanceof DataLoader);
    assert.equal(loader.batchSize, 2);
    const batches = [];
    for await (const batch of loader.epoch(0)) batches.push(batch);
    assert.equal(batches.length, 1);
    // 2 items x num_samples 4 = 8 crops of 96^3
    assert.deepEqual(batches[0].tensors.image.shape, [8, 1, 96, 96, 96]);
    assert.deepEqual(batches[0].tensors.label.shape, [8, 1, 96, 96, 96]);
    assert.ok(batches[0].tensors.label.data.some((v) => v === 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('buildDataPipeline: 4.x validate section and a 3.x image_pipeline section', { skip: missing }, async () => {
  const dir = await dataDir();
  try {
    // 3.x: pre_transforms + SegmentationImagePipeline (variables substituted by the config resolver)
    const f3 = join(fixtures, 'clara3', 'trn_autoML_AMP.json');
    const c3 = resolveConfig(JSON.parse(readFileSync(f3, 'utf8')), { file: f3, layers: [{ values: envFor('clara3', dir), source: 'environment' }] });
    const p3 = buildDataPipeline(c3.json.train as Record<string, unknown>, { file: f3, path: 'train', mmarRoot: dir, seed: 1, progress: false });
    assert.equal(p3.loader.batchSize, 32);
    const b3 = [];
    for await (const b of p3.loader.epoch(0)) b3.push(b);
    assert.deepEqual(
      b3.map((b) => b.tensors.image.shape),
      [[2, 1, 64, 64, 64]],
    );
    // 4.x validate: refs to the train transforms, batch_size 1, whole volumes
    const f4 = join(fixtures, 'clara4', 'trn_autoML_Loss_Optimizer.json');
    const c4 = resolveConfig(JSON.parse(readFileSync(f4, 'utf8')), { file: f4, layers: [{ values: envFor('clara4', dir), source: 'environment' }] });
    const builder = await ConfigBuilder.create(c4, { mmarRoot: dir });
    const transforms = builder.buildList('validate.pre_transforms');
    assert.equal(transforms.length, 6);
    const { Compose } = await import('../../src/transforms/compose.js');
    const p4 = buildDataPipeline(c4.json.validate as Record<string, unknown>, {
      file: f4,
      path: 'validate',
      mmarRoot: dir,
      transform: new Compose(transforms as never[]),
      progress: false,
    });
    const b4 = [];
    for await (const b of p4.loader.epoch(0)) b4.push(b);
    assert.deepEqual(
      b4.map((b) => b.tensors.image.shape),
      [[1, 1, 181, 217, 181]],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad data blocks name the file and JSON path', () => {
  assert.throws(
    () => buildDataPipeline({ dataset: { name: 'CacheDatasett', args: {} } }, { file: 'c.json', path: 'train', data: [] }),
    /c\.json: train\.dataset\.name: unknown dataset 'CacheDatasett'/,
  );
  assert.throws(
    () => buildDataPipeline({ dataset: { name: 'CacheDataset', args: { cache_nun: 3 } } }, { file: 'c.json', path: 'train', data: [] }),
    /train\.dataset\.args\.cache_nun: CacheDataset has no argument 'cache_nun'/,
  );
  assert.throws(
    () =>
      buildDataPipeline(
        { pre_transforms: [{ name: 'Spacingd', args: { keys: 'image', pixdim: [1, 1, 1], modee: 'nearest' } }], dataset: { name: 'Dataset' } },
        { file: 'c.json', path: 'train', data: [] },
      ),
    /c\.json: train\.pre_transforms\[0\]\.args\.modee: Spacingd has no argument 'modee'/,
  );
  assert.throws(
    () => buildDataPipeline({ pre_transforms: [{ name: 'Spacingd', args: { keys: 'image', pixdim: 'x' } }] }, { file: 'c.json', path: 'train', data: [] }),
    /train\.pre_transforms\[0\]\.args\.pixdim: 'pixdim' must be a list of numbers/,
  );
});

test("the registry's dataset/loader factories (config check) and buildDataPipeline (train) read args by the same rules", async () => {
  const { registry } = await import('../../src/components/registry.js');
  const ctx = { file: 'c.json', path: 'train.dataset' };
  const viaRegistry = (args: Record<string, unknown>) => registry.require('CacheDataset', ctx).factory({ data: [], ...args }, ctx);
  const viaPipeline = (args: Record<string, unknown>) =>
    buildDataPipeline({ dataset: { name: 'CacheDataset', args } }, { file: 'c.json', path: 'train', data: [] });
  for (const build of [viaRegistry, viaPipeline]) {
    assert.throws(() => build({ cache_rate: 'all' }), /c\.json: train\.dataset\.args\.cache_rate: 'cache_rate' must be a number, got "all"/);
    assert.throws(() => build({ cache_rate: 2 }), /'cache_rate' must be a number <= 1, got 2/);
    assert.throws(() => build({ num_workers: 1.5 }), /'num_workers' must be an integer, got 1\.5/);
    assert.ok(build({ cache_rate: '0.5', num_workers: '2' }), 'numeric strings are numbers for both');
  }
  const lctx = { file: 'c.json', path: 'train.dataloader' };
  const ds = viaRegistry({});
  assert.throws(
    () => registry.require('DataLoader', lctx).factory({ dataset: ds, shuffle: 'yes' }, lctx),
    /train\.dataloader\.args\.shuffle: 'shuffle' must be true or false, got "yes"/,
  );
  assert.throws(
    () =>
      buildDataPipeline(
        { dataset: { name: 'Dataset' }, dataloader: { name: 'DataLoader', args: { shuffle: 'yes' } } },
        { file: 'c.json', path: 'train', data: [] },
      ),
    /train\.dataloader\.args\.shuffle: 'shuffle' must be true or false, got "yes"/,
  );
});
