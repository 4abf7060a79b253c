// End to end through the real CLI in child processes on a tiny generated MMAR:
// init → train (IPC events, stats, checkpoints) → resume → crash-safe checkpoint →
// validate → infer → export → infer --model.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { runCli } from '../helpers/run-cli.js';
import { readNifti } from '../../src/io/nifti/index.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';

const KILL_ON_RENAME = fileURLToPath(new URL('../helpers/kill-on-rename.mjs', import.meta.url));

// 32^3 volumes, whole-volume crops, 2+1 cases: seconds per epoch.
const SMALL = ['--set', 'epochs=2', 'num_interval_per_valid=1'];
let base = '';

before(async () => {
  base = join(mkdtempSync(join(tmpdir(), 'clara-cli-')), 'mmar');
  const r = await runCli(['init', '--example', 'synthetic', base, '--train-cases', '2', '--val-cases', '1', '--size', '32']);
  assert.equal(r.code, 0, r.stderr);
});

function copyMmar(name: string): string {
  const dir = join(base, '..', name);
  cpSync(base, dir, { recursive: true });
  return dir;
}

const stats = (dir: string) => JSON.parse(readFileSync(join(dir, 'models', 'train_stats.json'), 'utf8')) as TrainStats;

test('init writes a complete synthetic MMAR with a Decathlon dataset.json', () => {
  const ds = JSON.parse(readFileSync(join(base, 'data', 'dataset.json'), 'utf8'));
  assert.equal(ds.training.length, 2);
  assert.equal(ds.validation.length, 1);
  for (const e of [...ds.training, ...ds.validation]) {
    assert.ok(existsSync(join(base, 'data', e.image)));
    assert.ok(existsSync(join(base, 'data', e.label)));
  }
  for (const f of ['config_train.json', 'environment.json', 'config_automl.json']) assert.ok(existsSync(join(base, 'config', f)), f);
});

test('train: a child job writes train_stats.json, best and last checkpoints, and streams IPC events', async () => {
  const dir = copyMmar('train');
  const r = await runCli(['train', '-m', dir, ...SMALL]);
  assert.equal(r.code, 0, r.stderr);
  const s = stats(dir);
  assert.equal(s.status, 'finished');
  assert.equal(s.epochs_completed, 2);
  assert.equal(s.train_loss.length, 2);
  assert.equal(s.val_metrics.length, 2);
  assert.equal(s.key_metric_name, 'val_mean_dice');
  assert.ok(s.best_key_metric !== null && s.best_key_metric >= 0 && s.best_key_metric <= 1);
  assert.ok(s.backend.length > 0 && s.amp.length > 0);
  assert.ok(existsSync(join(dir, 'models', 'best', 'model.json')));
  assert.ok(existsSync(join(dir, 'models', 'last', 'weights.bin')));
  const types = r.events.map((e) => e.type);
  assert.equal(types[0], 'train_start');
  assert.equal(types[types.length - 1], 'train_end');
  assert.equal(types.filter((t) => t === 'epoch_end').length, 2);
  assert.ok(types.includes('iteration_end') && types.includes('validation_end'));
  assert.match(r.stderr, /epoch 2\/2/);
});

test('train --resume continues from the last checkpoint', async () => {
  const dir = copyMmar('resume');
  const a = await runCli(['train', '-m', dir, '--set', 'epochs=1', 'num_interval_per_valid=1']);
  assert.equal(a.code, 0, a.stderr);
  const first = stats(dir);
  const b = await runCli(['train', '-m', dir, '--resume', ...SMALL]);
  assert.equal(b.code, 0, b.stderr);
  const s = stats(dir);
  assert.equal(s.epochs_completed, 2);
  assert.equal(s.train_loss.length, 2);
  assert.equal(s.train_loss[0], first.train_loss[0]);
  assert.match(b.stderr, /resumed from/);
  assert.equal(b.events.find((e) => e.type === 'train_start')?.info?.start_epoch, 1);
});

test('a process killed while writing a checkpoint leaves the previous one intact', async () => {
  const dir = copyMmar('crash');
  // killed at epoch 2's swap of models/last: its new files are on disk, the old folder not yet moved aside
  const r = await runCli(['train', '-m', dir, ...SMALL], { env: { NODE_OPTIONS: `--import=${KILL_ON_RENAME}`, CLARA_KILL_ON_RENAME: '/models/last$@1' } });
  assert.equal(r.signal, 'SIGKILL');
  const ck = loadCheckpoint(join(dir, 'models', 'last'));
  assert.equal(ck.meta.epoch, 1);
  assert.equal(ck.state?.epoch, 1);
  assert.ok(existsSync(join(dir, 'models', 'best', 'model.json')));
  // the half-written folder is cleaned up and the run resumes from epoch 1
  const again = await runCli(['train', '-m', dir, '--resume', ...SMALL]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(stats(dir).epochs_completed, 2);
  assert.deepEqual(
    readdirSync(join(dir, 'models')).filter((n) => n.startsWith('.')),
    [],
  );
});

test('train --resume-if-checkpoint: from epoch 1 without a checkpoint; after a kill that left `last` moved aside, from it', async () => {
  const dir = copyMmar('ifck');
  // killed at epoch 2's swap of models/last between its two renames: `last` (epoch 1) is at .last.old-*, the new one not in place
  const r = await runCli(['train', '-m', dir, '--resume-if-checkpoint', ...SMALL], {
    env: { NODE_OPTIONS: `--import=${KILL_ON_RENAME}`, CLARA_KILL_ON_RENAME: '/models/\\.last\\.new-@2' },
  });
  assert.equal(r.signal, 'SIGKILL');
  assert.match(r.stderr, /--resume-if-checkpoint: no last checkpoint yet; training from epoch 1/);
  assert.equal(r.events.find((e) => e.type === 'train_start')?.info?.start_epoch, 0);
  assert.ok(!existsSync(join(dir, 'models', 'last')), 'killed with `last` moved aside');
  assert.ok(readdirSync(join(dir, 'models')).some((n) => n.startsWith('.last.old-')));
  // what a requeued Slurm job runs: the epoch-1 checkpoint is put back and training continues from it
  const again = await runCli(['train', '-m', dir, '--resume-if-checkpoint', ...SMALL]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.events.find((e) => e.type === 'train_start')?.info?.start_epoch, 1);
  assert.equal(stats(dir).epochs_completed, 2);
  assert.deepEqual(
    readdirSync(join(dir, 'models')).filter((n) => n.startsWith('.')),
    [],
  );
});

test('validate, infer, export and infer --model on the trained MMAR', async () => {
  const dir = copyMmar('eval');
  assert.equal((await runCli(['train', '-m', dir, ...SMALL])).code, 0);
  const v = await runCli(['validate', '-m', dir]);
  assert.equal(v.code, 0, v.stderr);
  const metrics = JSON.parse(readFileSync(join(dir, 'eval', 'metrics.json'), 'utf8'));
  assert.equal(metrics.key_metric_name, 'val_mean_dice');
  assert.equal(Object.keys(metrics.per_case).length, 1);
  assert.ok(typeof Object.values(metrics.per_case as Record<string, Record<string, number>>)[0].val_mean_dice === 'number');
  assert.equal(metrics.key_metric, stats(dir).best_key_metric);

  const i = await runCli(['infer', '-m', dir]);
  assert.equal(i.code, 0, i.stderr);
  const ds = JSON.parse(readFileSync(join(dir, 'data', 'dataset.json'), 'utf8'));
  const input = await readNifti(join(dir, 'data', ds.validation[0].image));
  const segFile = join(dir, 'eval', 'case_002_seg.nii.gz');
  const seg = await readNifti(segFile);
  assert.deepEqual(seg.shape, input.shape);
  assert.deepEqual(seg.affine, input.affine);
  assert.ok(seg.data instanceof Uint8Array);
  const py = spawnSync(
    'python3',
    [
      '-c',
      `import nibabel as nib, json; i = nib.load(${JSON.stringify(segFile)}); print(json.dumps({"dtype": str(i.get_data_dtype()), "shape": list(i.shape), "affine": i.affine.tolist()}))`,
    ],
    { encoding: 'utf8' },
  );
  if (py.status === 0) {
    const n = JSON.parse(py.stdout);
    assert.equal(n.dtype, 'uint8');
    assert.deepEqual(n.shape, input.shape);
    n.affine.forEach((row: number[], a: number) => row.forEach((x, b) => assert.ok(Math.abs(x - input.affine[a][b]) < 1e-4)));
  } else if (process.env.CI === 'true') assert.fail(`nibabel is required under CI: ${py.stderr}`);

  const e = await runCli(['export', '-m', dir]);
  assert.equal(e.code, 0, e.stderr);
  const exp = join(dir, 'models', 'export');
  const meta = JSON.parse(readFileSync(join(exp, 'metadata.json'), 'utf8'));
  assert.equal(meta.model.name, 'UNet');
  assert.deepEqual(meta.input.roi_size, [32, 32, 32]);
  assert.equal(meta.labels['1'], 'organ');
  assert.ok(meta.intensity.some((t: { name: string }) => t.name === 'ScaleIntensityRanged'));
  const j = JSON.parse(readFileSync(join(exp, 'model.json'), 'utf8'));
  assert.equal(j.weightsManifest[0].paths[0], 'weights.bin');

  const out = join(dir, 'eval-exported');
  const ie = await runCli(['infer', '-m', dir, '--model', exp, '-o', out]);
  assert.equal(ie.code, 0, ie.stderr);
  const seg2 = await readNifti(join(out, 'case_002_seg.nii.gz'));
  assert.deepEqual(Array.from(seg2.data), Array.from(seg.data));

  // the exported folder alone (no MMAR) segments a NIfTI file the same way
  const out3 = join(dir, 'eval-files');
  const f = await runCli(['infer', '--model', exp, '--input', join(dir, 'data', ds.validation[0].image), '-o', out3]);
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(readFileSync(join(out3, 'case_002_seg.nii.gz')), readFileSync(segFile));
});

test('errors name the file and path: unknown component, missing MMAR', async () => {
  const r = await runCli(['train', '-m', join(base, 'nope')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nope/);
  const dir = copyMmar('bad');
  const bad = await runCli(['train', '-m', dir, '--set', 'train.model.name="UNetX"']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /config_train\.json: train\.model\.name: unknown/);
});

test('the same seed gives the same run; use_amp switches bf16 convolutions on the native path', async () => {
  const a = copyMmar('seed-a'),
    b = copyMmar('seed-b'),
    c = copyMmar('amp');
  const one = ['--set', 'epochs=1', 'num_interval_per_valid=1'];
  assert.equal((await runCli(['train', '-m', a, ...one])).code, 0);
  assert.equal((await runCli(['train', '-m', b, ...one])).code, 0);
  assert.deepEqual(stats(a).train_loss, stats(b).train_loss);
  assert.deepEqual(readFileSync(join(a, 'models', 'last', 'weights.bin')), readFileSync(join(b, 'models', 'last', 'weights.bin')));
  const r = await runCli(['train', '-m', c, ...one, 'use_amp=true']);
  assert.equal(r.code, 0, r.stderr);
  const s = stats(c);
  assert.ok(['bf16-native', 'unsupported-on-backend'].includes(s.amp), s.amp);
  if (s.amp === 'bf16-native') assert.notDeepEqual(s.train_loss, stats(a).train_loss);
  else assert.match(r.stderr, /cannot run half precision/);
});

test('a SmartCacheDataset (MONAI args) trains, its cache updated by the data loader every epoch', async () => {
  const dir = copyMmar('smartcache');
  const r = await runCli([
    'train',
    '-m',
    dir,
    '--set',
    'epochs=3',
    'num_interval_per_valid=3',
    'train.dataset.name="SmartCacheDataset"',
    'train.dataset.args={"transform":"@pre_transforms","cache_num":1,"replace_rate":1.0}',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const s = stats(dir);
  assert.equal(s.epochs_completed, 3);
  // one cached item of the two, two crops of it per epoch: one batch per epoch
  assert.equal(r.events.filter((e) => e.type === 'iteration_end').length, 3);
});
