// Clara 4.x's standalone configs as NVIDIA ships them (GettingStarted config_validation.json and
// config_inference.json, test/fixtures/clara-examples/clara4-getting-started) run unchanged but
// for --set of the window size and --data-key, through the real CLI, on the synthetic example
// after `train` and `export`. The example's 1.5 mm voxels make Spacingd resample (to 1 mm), so
// Invertd has to bring the predictions back: the outputs must lie on the input image's grid with
// its affine (checked with nibabel when importable), MetricsSaver's per-case Dice must be the
// Dice of the saved segmentation against the label file, and the model slot's alternatives
// (export folder, checkpoint, Clara's file names, a real TorchScript file) do what they say.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/run-cli.js';
import { readNifti } from '../../src/io/nifti/index.js';

const FIX = fileURLToPath(new URL('../fixtures/clara-examples/clara4-getting-started/', import.meta.url));
const FIX3 = fileURLToPath(new URL('../fixtures/clara-examples/clara3-getting-started/', import.meta.url));
const ROI = 'inferer.args.roi_size=[32,32,32]';
let base = '';

before(async () => {
  base = join(mkdtempSync(join(tmpdir(), 'clara-standalone-')), 'mmar');
  let r = await runCli(['init', '--example', 'synthetic', base, '--train-cases', '2', '--val-cases', '2', '--size', '32']);
  assert.equal(r.code, 0, r.stderr);
  r = await runCli(['train', '-m', base, '--set', 'epochs=2', 'num_interval_per_valid=2']);
  assert.equal(r.code, 0, r.stderr);
  r = await runCli(['export', '-m', base]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['config_validation.json', 'config_inference.json']) copyFileSync(join(FIX, f), join(base, 'config', f));
  copyFileSync(join(FIX3, 'config_validation.json'), join(base, 'config', 'config_validation_3x.json'));
});

after(() => rmSync(join(base, '..'), { recursive: true, force: true }));

function copyMmar(name: string): string {
  const dir = join(base, '..', name);
  cpSync(base, dir, { recursive: true });
  return dir;
}

const dataset = (dir: string) => JSON.parse(readFileSync(join(dir, 'data', 'dataset.json'), 'utf8')) as { validation: { image: string; label: string }[] };

function nibabelView(file: string): { shape: number[]; affine: number[][]; dtype: string } | undefined {
  const py = spawnSync(
    'python3',
    [
      '-c',
      `import nibabel as nib, json; i = nib.load(${JSON.stringify(file)}); print(json.dumps({"dtype": str(i.get_data_dtype()), "shape": list(i.shape), "affine": i.affine.tolist()}))`,
    ],
    { encoding: 'utf8' },
  );
  if (py.status === 0) return JSON.parse(py.stdout);
  if (process.env.CI === 'true') assert.fail(`nibabel is required under CI: ${py.stderr}`);
  return undefined;
}

function assertAffine(a: number[][], b: number[][], what: string): void {
  a.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - b[i][j]) < 1e-4, `${what}: affine[${i}][${j}] ${x} vs ${b[i][j]}`)));
}

test('validate runs GettingStarted config_validation.json: MetricsSaver files, segmentations on the input grid, Dice that matches them', async () => {
  const dir = copyMmar('val');
  // the config's SaveImaged entry is disabled as shipped; switching it on writes what the metrics saw
  const r = await runCli(['validate', '-m', dir, '-c', 'config/config_validation.json', '--set', ROI, 'post_transforms[3].disabled=false']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /model from model\[0\]: .*models\/export\/model\.json/);
  assert.match(r.stderr, /Epoch\[1\] Metrics -- val_mean_dice: \d\.\d{4} val_acc: \d\.\d{4}/);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.cases, 2);

  const ev = join(dir, 'eval');
  const metricsCsv = readFileSync(join(ev, 'metrics.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  assert.deepEqual(
    metricsCsv.map((l) => l[0]),
    ['val_mean_dice', 'val_acc'],
  );
  const raw = readFileSync(join(ev, 'val_mean_dice_raw.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  assert.deepEqual(raw[0], ['filename', 'class0', 'class1', 'mean']);
  const ds = dataset(dir);
  assert.deepEqual(
    raw.slice(1).map((l) => l[0]),
    ds.validation.map((c) => join(dir, 'data', c.image)),
  );
  const summary = readFileSync(join(ev, 'val_mean_dice_summary.csv'), 'utf8').trim().split('\n');
  assert.equal(summary[0], 'class,mean,median,max,min,90percentile,std,notnans');
  assert.deepEqual(
    summary.slice(1).map((l) => l.split(',')[0]),
    ['class0', 'class1', 'mean'],
  );
  const caseMeans = raw.slice(1).map((l) => Number(l[3]));
  assert.ok(Math.abs(Number(metricsCsv[0][1]) - (caseMeans[0] + caseMeans[1]) / 2) < 1e-4, 'val_mean_dice = mean of the per-case means');
  assert.ok(Math.abs(Number(metricsCsv[0][1]) - out.val_mean_dice) < 1e-6);

  for (const [k, c] of ds.validation.entries()) {
    const name = c.image.replace(/^.*\//, '').replace(/\.nii\.gz$/, '');
    const segFile = join(ev, name, `${name}_trans.nii.gz`);
    const seg = await readNifti(segFile);
    const input = await readNifti(join(dir, 'data', c.image));
    const label = await readNifti(join(dir, 'data', c.label));
    assert.deepEqual(seg.shape, [...input.shape, 2], 'one-hot prediction on the input grid');
    assertAffine(seg.affine, input.affine, segFile);
    const nb = nibabelView(segFile);
    if (nb) {
      assert.deepEqual(nb.shape, [...input.shape, 2]);
      assert.equal(nb.dtype, 'float32');
      assertAffine(nb.affine, input.affine, `nibabel ${segFile}`);
    }
    // Dice of each class from the saved one-hot prediction against the label file (MONAI: NaN for an empty class)
    const n = input.data.length;
    for (let cls = 0; cls < 2; cls++) {
      let inter = 0,
        p = 0,
        g = 0;
      for (let v = 0; v < n; v++) {
        const a = seg.data[v * 2 + cls] > 0.5,
          b = Math.round(Number(label.data[v])) === cls;
        if (a) p++;
        if (b) g++;
        if (a && b) inter++;
      }
      const dice = g === 0 ? NaN : (2 * inter) / (p + g);
      const got = Number(raw[k + 1][1 + cls]);
      assert.ok(Number.isNaN(dice) ? raw[k + 1][1 + cls] === 'nan' : Math.abs(got - dice) < 1e-6, `case ${name} class ${cls}: csv ${got}, from files ${dice}`);
    }
  }
});

test('infer runs GettingStarted config_inference.json and environment.json (--data-key, data paths): SaveImaged files with MONAI names on the input grid and affine', async () => {
  const dir = copyMmar('inf');
  const missing = await runCli(['infer', '-m', dir, '-c', 'config/config_inference.json', '--set', ROI]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /data_list_key "test" is not in the datalist.*--data-key/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'a one-line error, no stack trace');

  // NVIDIA's environment.json too (models/model.ts, models/model.pt names): only the data paths set
  copyFileSync(join(FIX, 'environment.json'), join(dir, 'config', 'environment.json'));
  const r = await runCli([
    'infer',
    '-m',
    dir,
    '-c',
    'config/config_inference.json',
    '--set',
    ROI,
    'DATA_ROOT=data',
    'DATASET_JSON=data/dataset.json',
    '--data-key',
    'validation',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const ds = dataset(dir);
  assert.equal(out.outputs.length, ds.validation.length);
  for (const c of ds.validation) {
    const name = c.image.replace(/^.*\//, '').replace(/\.nii\.gz$/, '');
    const segFile = join(dir, 'eval', name, `${name}_trans.nii.gz`);
    assert.ok(out.outputs.includes(segFile), segFile);
    const seg = await readNifti(segFile);
    const input = await readNifti(join(dir, 'data', c.image));
    assert.deepEqual(seg.shape, [...input.shape, 2]);
    assertAffine(seg.affine, input.affine, segFile);
    for (let v = 0; v < input.data.length; v++) assert.equal(Number(seg.data[v * 2]) + Number(seg.data[v * 2 + 1]), 1, 'one-hot');
    const nb = nibabelView(segFile);
    if (nb) assertAffine(nb.affine, input.affine, `nibabel ${segFile}`);
  }
});

test("the model slot: checkpoint alternative, Clara's file names, and what cannot be loaded", async () => {
  const dir = copyMmar('slot');
  const run = (...set: string[]) => runCli(['validate', '-m', dir, '-c', 'config/config_validation.json', '--set', ROI, ...set]);
  // the checkpoint alternative and its CheckpointLoader; Clara's models/model.pt names our models/best
  const ck = await run('dont_load_ts_model=true', 'dont_load_ckpt_model=false', 'MMAR_CKPT=models/model.pt');
  assert.equal(ck.code, 0, ck.stderr);
  assert.match(ck.stderr, /model from model\[1\]: .*models\/best\/model\.json/);
  // Clara's MMAR_TORCHSCRIPT name (models/model.ts, absent) maps to what export wrote
  const ts = await run('MMAR_TORCHSCRIPT=models/model.ts');
  assert.equal(ts.code, 0, ts.stderr);
  assert.match(ts.stderr, /models\/export\/model\.json/);
  // a real TorchScript archive cannot run here: said in one line, with what to use instead
  writeFileSync(join(dir, 'models', 'model.ts'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]));
  const real = await run('MMAR_TORCHSCRIPT=models/model.ts');
  assert.notEqual(real.code, 0);
  assert.match(
    real.stderr,
    /config_validation\.json: model\[0\]\.ts_path: .*model\.ts is a TorchScript archive, which clara-train cannot run.*MMAR_TORCHSCRIPT=/,
  );
  assert.doesNotMatch(real.stderr, /\n\s+at /);
  rmSync(join(dir, 'models', 'model.ts'));
  // both alternatives on
  const both = await run('dont_load_ckpt_model=false');
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /"model" has 2 entries and 2 enabled; exactly one must be/);
  assert.ok(!existsSync(join(dir, 'models', 'model.ts')));
  // a post-transform that fails on a case names the config, its JSON path and the case
  const inv = await run('post_transforms[1].args.orig_keys=imag');
  assert.notEqual(inv.code, 0);
  assert.match(inv.stderr, /config_validation\.json: post_transforms\[1\]: case .*case_00\d\.nii\.gz: Invertd: no 'imag_meta_dict'/);
});

test('validate runs the Clara 3.x (TensorFlow-era) GettingStarted config_validation.json: frozen-graph slot, label_transforms, ComputeAverageDice, WriteNifti', async () => {
  const dir = copyMmar('v3');
  const r = await runCli(['validate', '-m', dir, '-c', 'config/config_validation_3x.json', '--set', ROI]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /model from model_loader: .*models\/export\/model\.json/);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.cases, 2);
  const raw = readFileSync(join(dir, 'eval', 'mean_dice_class1_raw.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  assert.deepEqual(raw[0], ['filename', 'class0', 'mean']);
  const metricsCsv = readFileSync(join(dir, 'eval', 'metrics.csv'), 'utf8');
  assert.match(metricsCsv, /^mean_dice_class1,0\.\d+\nmean_dice_class2,nan\n$/, 'the example has no class 2: NaN, as MONAI would');
  const ds = dataset(dir);
  for (const [k, c] of ds.validation.entries()) {
    const name = c.image.replace(/^.*\//, '').replace(/\.nii\.gz$/, '');
    const input = await readNifti(join(dir, 'data', c.image));
    const model = await readNifti(join(dir, 'eval', name, `${name}_model.nii.gz`));
    const p1 = await readNifti(join(dir, 'eval', name, `${name}_pred_class1.nii.gz`));
    // 3.x writes on the grid after ScaleByResolution (1 mm): 32 voxels of 1.5 mm → 48, the same world origin
    assert.deepEqual(
      model.shape,
      input.shape.map((d) => d * 1.5),
    );
    for (let a = 0; a < 3; a++) {
      assert.ok(Math.abs(Math.hypot(model.affine[0][a], model.affine[1][a], model.affine[2][a]) - 1) < 1e-6, 'spacing 1 mm');
      assert.ok(Math.abs(model.affine[a][3] - input.affine[a][3]) < 1.5, 'same world position');
    }
    assert.deepEqual(p1.affine, model.affine);
    let agree = 0;
    for (let v = 0; v < model.data.length; v++) if ((Number(model.data[v]) === 1) === (Number(p1.data[v]) === 1)) agree++;
    assert.equal(agree, model.data.length, 'pred_class1 is the model map split at label 1');
    assert.ok(Number(raw[k + 1][1]) >= 0 && Number(raw[k + 1][1]) <= 1);
  }
  writeFileSync(join(dir, 'models', 'model.trt.pb'), 'frozen');
  const pb = await runCli(['validate', '-m', dir, '-c', 'config/config_validation_3x.json', '--set', ROI]);
  assert.notEqual(pb.code, 0);
  assert.match(pb.stderr, /model_loader\.args\.model_file_path: .*model\.trt\.pb is a TensorFlow frozen graph .*which clara-train cannot run/);
});

test('SegmentationSaver (MONAI 0.8 handler) writes the prediction resampled onto the original grid when no Invertd runs', async () => {
  const dir = copyMmar('segsaver');
  const cfg = JSON.parse(readFileSync(join(FIX, 'config_validation.json'), 'utf8'));
  cfg.post_transforms.splice(1, 1); // no Invertd: the prediction stays on Spacingd's 1 mm grid
  cfg.post_transforms.pop(); // no SaveImaged
  cfg.handlers = [{ name: 'SegmentationSaver', args: { output_dir: '{MMAR_EVAL_OUTPUT_PATH}', output_postfix: 'seg', output_dtype: 'uint8' } }];
  delete cfg.key_metric;
  delete cfg.additional_metrics;
  delete cfg.evaluator.args.key_val_metric;
  delete cfg.evaluator.args.additional_metrics;
  writeFileSync(join(dir, 'config', 'config_segsaver.json'), JSON.stringify(cfg, null, 2));
  const r = await runCli(['validate', '-m', dir, '-c', 'config/config_segsaver.json', '--set', ROI]);
  assert.equal(r.code, 0, r.stderr);
  for (const c of dataset(dir).validation) {
    const name = c.image.replace(/^.*\//, '').replace(/\.nii\.gz$/, '');
    const seg = await readNifti(join(dir, 'eval', name, `${name}_seg.nii.gz`));
    const input = await readNifti(join(dir, 'data', c.image));
    assert.deepEqual(seg.shape, [...input.shape, 2]);
    assert.ok(seg.data instanceof Uint8Array, 'output_dtype uint8');
    assertAffine(seg.affine, input.affine, name);
  }
});
