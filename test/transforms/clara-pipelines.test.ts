// Done-when: the train.pre_transforms of Clara 3.x trn_autoML_AMP.json and 4.x
// trn_autoML_Loss_Optimizer.json build from the config and run on real NIfTI (mricron ch2,
// label = ch2bet > 0), giving the shapes MONAI gives (live when python3 imports monai,
// otherwise the shapes committed in test/fixtures/monai/pipeline_shapes.json). A variant of
// the 4.x pipeline with anisotropic pixdim and a window that makes CropForegroundd crop
// checks Spacingd and CropForegroundd on real data too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeFromConfig } from '../../src/transforms/build.js';
import type { MetaDict, Sample, Tensor } from '../../src/transforms/types.js';
import { pythonHas, requirePython } from '../helpers/python.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, '..', 'fixtures');
const CH2 = '/usr/share/mricron/templates/ch2.nii.gz';
const CH2BET = '/usr/share/mricron/templates/ch2bet.nii.gz';

function configs(): { name: string; cfg: { train: { pre_transforms: unknown[] } } }[] {
  const c3 = JSON.parse(readFileSync(join(fixtures, 'clara-examples', 'clara3', 'trn_autoML_AMP.json'), 'utf8'));
  const c4 = JSON.parse(readFileSync(join(fixtures, 'clara-examples', 'clara4', 'trn_autoML_Loss_Optimizer.json'), 'utf8'));
  const variant = JSON.parse(JSON.stringify(c4));
  for (const t of variant.train.pre_transforms) {
    if (t.name === 'Spacingd') t.args.pixdim = [1.2, 1.3, 1.1];
    if (t.name === 'ScaleIntensityRanged') t.args.a_min = 30;
  }
  return [
    { name: 'clara3 trn_autoML_AMP', cfg: c3 },
    { name: 'clara4 trn_autoML_Loss_Optimizer', cfg: c4 },
    { name: 'clara4 variant (pixdim 1.2x1.3x1.1, a_min 30)', cfg: variant },
  ];
}

const missingData = !existsSync(CH2) || !existsSync(CH2BET) ? 'mricron-data is not installed (/usr/share/mricron/templates)' : undefined;
if (missingData && process.env.CI === 'true') throw new Error(`${missingData} (required under CI=true)`);
const skip = missingData ?? requirePython('nibabel');

test("Clara 3.x and 4.x pre_transforms run on ch2 and give MONAI's shapes", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-pipe-'));
  try {
    const label = join(dir, 'ch2bet_label.nii.gz');
    const mk = spawnSync(
      'python3',
      [
        '-c',
        `import nibabel as nib, numpy as np
im = nib.load('${CH2BET}')
nib.save(nib.Nifti1Image((np.asarray(im.dataobj) > 0).astype(np.uint8), im.affine), '${label}')`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(mk.status, 0, mk.stderr);
    const live = pythonHas('monai');
    const stored = JSON.parse(readFileSync(join(fixtures, 'monai', 'pipeline_shapes.json'), 'utf8')) as Record<string, Expected>;
    for (const { name, cfg } of configs()) {
      await t.test(name, async () => {
        let want: Expected;
        if (live) {
          const cfgFile = join(dir, 'cfg.json');
          writeFileSync(cfgFile, JSON.stringify(cfg));
          const r = spawnSync('python3', [join(fixtures, 'monai', 'pipeline_shapes.py'), cfgFile, CH2, label], { encoding: 'utf8', timeout: 300_000 });
          assert.equal(r.status, 0, r.stderr);
          want = JSON.parse(r.stdout.trim().split('\n').pop()!);
          assert.deepEqual(want.prefix, stored[name].prefix, 'committed shapes are stale: rerun pipeline_shapes.py');
        } else want = stored[name];
        const compose = composeFromConfig(cfg.train.pre_transforms, { file: name, path: 'train.pre_transforms' }, 3);
        const k = compose.firstRandomIndex();
        const prefix = (await compose.applyRange({ image: CH2, label }, 0, k)) as Sample;
        assert.deepEqual((prefix.image as Tensor).shape, want.prefix.image);
        assert.deepEqual((prefix.label as Tensor).shape, want.prefix.label);
        const aff = (prefix.image_meta_dict as MetaDict).affine;
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 4; j++)
            assert.ok(Math.abs(aff[i][j] - want.prefix_affine[i][j]) < 1e-4, `affine[${i}][${j}] ${aff[i][j]} vs ${want.prefix_affine[i][j]}`);
        const out = await compose.applyRange(prefix, k, compose.transforms.length);
        const items = Array.isArray(out) ? out : [out];
        assert.deepEqual(
          items.map((s) => ({ image: (s.image as Tensor).shape, label: (s.label as Tensor).shape })),
          want.samples,
        );
        // labels stay binary through nearest resampling and crops
        for (const s of items) assert.ok((s.label as Tensor).data.every((v) => v === 0 || v === 1));
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Expected {
  prefix: { image: number[]; label: number[] };
  samples: { image: number[]; label: number[] }[];
  prefix_affine: number[][];
}
