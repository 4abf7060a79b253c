// Test helpers for the SmartCache worker tests: a temporary MMAR with real NIfTI files, a
// BYOC transform (custom/thread_probe.mjs) that records the thread it ran in, and a
// config whose pre_transforms build through the config builder (so they carry recipes).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNifti } from '../../src/io/nifti/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { ConfigBuilder } from '../../src/config/build.js';
import { Compose } from '../../src/transforms/compose.js';
import type { Transform } from '../../src/transforms/base.js';
import type { Sample } from '../../src/transforms/types.js';
import '../../src/cli/builtins.js';

export const THREAD_PROBE = `import { threadId } from 'node:worker_threads';
// Test-only BYOC transform: records the thread that prepared the item in its image meta.
export class ThreadProbe {
  constructor(args) { this.name = 'ThreadProbe'; this.random = false; this.failOn = args.fail_on; }
  apply(s) {
    if (this.failOn && String(s.image_meta_dict?.filename_or_obj ?? '').endsWith(this.failOn)) throw new Error('ThreadProbe: refusing ' + this.failOn);
    return { ...s, image_meta_dict: { ...s.image_meta_dict, thread_id: threadId } };
  }
}
`;

export interface Mmar {
  root: string;
  data: Sample[];
}

/** n items of 12x10x8 volumes with distinct content. */
export async function makeMmar(n: number): Promise<Mmar> {
  const root = mkdtempSync(join(tmpdir(), 'clara-smartcache-'));
  mkdirSync(join(root, 'custom'));
  writeFileSync(join(root, 'custom', 'thread_probe.mjs'), THREAD_PROBE);
  const shape = [12, 10, 8];
  const affine = [
    [2, 0, 0, -10],
    [0, 1.5, 0, 4],
    [0, 0, 3, 1],
    [0, 0, 0, 1],
  ];
  const data: Sample[] = [];
  for (let id = 0; id < n; id++) {
    const img = new Float32Array(12 * 10 * 8).map((_, v) => ((v * 37 + id * 101) % 211) - 50 + id * 0.25);
    const lab = new Uint8Array(img.length).map((_, v) => ((v + id) % 7 === 0 ? 1 : 0));
    const image = join(root, `img${id}.nii.gz`),
      label = join(root, `lab${id}.nii.gz`);
    await writeNifti(image, { data: img, shape, affine: affine as never });
    await writeNifti(label, { data: lab, shape, affine: affine as never });
    data.push({ image, label, id });
  }
  return { root, data };
}

/** The 4.x pre_transforms: a cacheable prefix (with the BYOC probe) and a random rest. */
export function preTransforms(opts: { failOn?: string } = {}): unknown[] {
  return [
    { name: 'LoadImaged', args: { keys: ['image', 'label'] } },
    { name: 'EnsureChannelFirstd', args: { keys: ['image', 'label'] } },
    { name: 'Spacingd', args: { keys: ['image', 'label'], pixdim: [1.5, 1.5, 2], mode: ['bilinear', 'nearest'] } },
    { name: 'ScaleIntensityRanged', args: { keys: 'image', a_min: -50, a_max: 160, b_min: 0, b_max: 1, clip: true } },
    { path: 'thread_probe.ThreadProbe', args: opts.failOn ? { fail_on: opts.failOn } : {} },
    { name: 'RandFlipd', args: { keys: ['image', 'label'], prob: 0.5, spatial_axis: 0 } },
  ];
}

/** The pre_transforms built through the config builder (BYOC from the MMAR's custom/). */
export async function buildPre(root: string, seed: number, opts: { failOn?: string } = {}): Promise<Compose> {
  const file = join(root, 'config_train.json');
  const raw = { train: { pre_transforms: preTransforms(opts) } };
  writeFileSync(file, JSON.stringify(raw));
  const cfg = resolveConfig(raw, { file });
  const b = await ConfigBuilder.create(cfg, { mmarRoot: root });
  return new Compose(b.buildList('train.pre_transforms') as Transform[], seed);
}
