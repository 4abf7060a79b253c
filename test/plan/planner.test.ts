// The planner's memory fit with real measured training steps: a smaller budget shrinks the patch
// by nnU-Net's rule and the chosen step is measured within the budget; an impossible budget is a
// one-line error naming --memory-budget; --modality overrides the normalisation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initSynthetic } from '../../src/cli/init/init-example.js';
import { readPlanDataset } from '../../src/plan/dataset.js';
import { fingerprintDataset, type Fingerprint } from '../../src/plan/fingerprint.js';
import { measureTrainStep } from '../../src/plan/measure-step.js';
import { makePlan, type PlanOptions } from '../../src/plan/planner.js';
import { trainConfig } from '../../src/plan/write-mmar.js';

let tmp: string, fp: Fingerprint;
const MiB = 2 ** 20;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'clara-plan-planner-'));
  const dir = await initSynthetic({ example: 'synthetic', dir: join(tmp, 's'), trainCases: 3, valCases: 1, size: 40 });
  fp = await fingerprintDataset(readPlanDataset(join(dir, 'data')), { progress: null });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const opts = (budgetMiB: number, extra: Partial<PlanOptions> = {}): PlanOptions => ({
  memoryBudgetBytes: budgetMiB * MiB,
  baseFeatures: 4,
  targetIterations: 20,
  backend: 'test',
  measure: measureTrainStep,
  ...extra,
});

test('the patch shrinks to fit a smaller budget, and the chosen step is measured within it', { timeout: 600_000 }, async () => {
  const big = await makePlan(fp, opts(512));
  assert.deepEqual(big.patch_size.value, [40, 40, 40]);
  assert.ok(big.memory.measured_bytes <= 512 * MiB);
  // a budget under the full patch's measured need forces nnU-Net's reduction
  const budget = Math.floor(((big.memory.measured_bytes / big.batch_size.value) * 2 * 0.6) / MiB);
  const small = await makePlan(fp, opts(budget));
  const vox = (p: number[]) => p.reduce((a, b) => a * b, 1);
  assert.ok(vox(small.patch_size.value) < vox(big.patch_size.value), `${small.patch_size.value} < ${big.patch_size.value}`);
  assert.match(small.patch_size.reason, /reduced \d+ time\(s\) by nnU-Net's rule/);
  assert.ok(small.memory.measured_bytes <= budget * MiB, `${small.memory.measured_bytes} <= ${budget} MiB`);
  const last = small.memory.measurements.at(-1)!;
  assert.deepEqual(last.patch, small.patch_size.value);
  assert.equal(last.batch, small.batch_size.value);
  // the generated config trains exactly the planned patch and batch
  const cfg = trainConfig(small) as {
    train: { pre_transforms: { name: string; args: Record<string, unknown> }[]; dataloader: { args: { batch_size: number } } };
  };
  const crop = cfg.train.pre_transforms.find((t) => t.name === 'RandCropByPosNegLabeld')!;
  assert.deepEqual(crop.args.spatial_size, small.patch_size.value);
  assert.equal(cfg.train.dataloader.args.batch_size * (crop.args.num_samples as number), small.batch_size.value);
});

test('an impossible budget is an error naming --memory-budget', { timeout: 600_000 }, async () => {
  await assert.rejects(makePlan(fp, opts(0.5)), /--memory-budget: the memory budget 0\.00 GiB is below/);
});

test('--modality MR turns CT normalisation into a per-image z-score', { timeout: 600_000 }, async () => {
  const mr = await makePlan(fp, opts(512, { modality: 'MR' }));
  assert.equal(mr.normalization.scheme, 'ZScoreNormalization');
  assert.equal(mr.normalization.transform?.name, 'NormalizeIntensityd');
  const ct = await makePlan(fp, opts(512));
  assert.equal(ct.normalization.scheme, 'CTNormalization');
  const a = ct.normalization.transform!.args as Record<string, number>;
  const s = fp.summary!.intensity[0]!;
  assert.ok(Math.abs(a.b_min - (s.percentile_00_5 - s.mean) / s.std) < 1e-5 && Math.abs(a.b_max - (s.percentile_99_5 - s.mean) / s.std) < 1e-5);
});
