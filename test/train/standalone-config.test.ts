// Layout detection of evaluation configs, the model slot's rules, and what the geometry trace
// records (per key: interpolation and padding the inverse must use).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configLayout } from '../../src/train/standalone-config.js';
import { checkpointSlotPath, enabledModelEntry, torchScriptSlotPath } from '../../src/train/model-slot.js';
import { composeFromConfig } from '../../src/transforms/build.js';
import { Compose } from '../../src/transforms/compose.js';
import { appliedOperations, traceGeometry } from '../../src/transforms/geometry-trace.js';
import type { Sample } from '../../src/transforms/types.js';

const FIX = fileURLToPath(new URL('../fixtures/clara-examples/', import.meta.url));
const read = (f: string) => JSON.parse(readFileSync(join(FIX, f), 'utf8')) as Record<string, unknown>;

test('config layouts: 4.x and 3.x standalone evaluation configs vs train configs', () => {
  assert.equal(configLayout(read('clara4-getting-started/config_validation.json')), 'clara4');
  assert.equal(configLayout(read('clara4-getting-started/config_inference.json')), 'clara4');
  assert.equal(configLayout(read('clara3-getting-started/config_validation.json')), 'clara3');
  assert.equal(configLayout(read('clara4/trn_autoML_LR_LP.json')), 'train');
  assert.equal(configLayout(read('clara3/trn_autoML_AMP.json')), 'train');
});

test('the model slot: exactly one enabled entry, each kind recognised, errors name the JSON path', () => {
  const f = 'c.json';
  assert.equal(enabledModelEntry({ model: { ts_path: 'x' } }, 'model', f).kind, 'torchscript');
  const e = enabledModelEntry(
    {
      model: [
        { ts_path: 'x', disabled: true },
        { ckpt_path: 'y', disabled: false },
      ],
    },
    'model',
    f,
  );
  assert.deepEqual([e.kind, e.path], ['checkpoint', 'model[1]']);
  assert.equal(enabledModelEntry({ model: { name: 'UNet', args: {} } }, 'model', f).kind, 'component');
  assert.throws(() => enabledModelEntry({}, 'model', f), /c\.json: model: no "model"/);
  assert.throws(() => enabledModelEntry({ model: [{ ts_path: 'x', disabled: true }] }, 'model', f), /1 entry and 0 enabled; exactly one must be/);
  assert.throws(() => enabledModelEntry({ model: [5] }, 'model', f), /c\.json: model\[0\]: expected a model entry object/);
  assert.throws(() => enabledModelEntry({ model: { weights: 'x' } }, 'model', f), /needs "ts_path", "ckpt_path" or a component "name"/);
});

test('slot paths: Clara names map to ours; real TorchScript / PyTorch files are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slot-'));
  try {
    const place = { file: 'c.json', path: 'model.ts_path' };
    mkdirSync(join(dir, 'export'));
    writeFileSync(join(dir, 'export', 'model.json'), '{}');
    assert.equal(torchScriptSlotPath(join(dir, 'model.ts'), place), join(dir, 'export', 'model.json'));
    assert.equal(torchScriptSlotPath(join(dir, 'export'), place), join(dir, 'export', 'model.json'));
    assert.throws(() => torchScriptSlotPath(join(dir, 'nothing'), place), /c\.json: model\.ts_path: no exported model at/);
    writeFileSync(join(dir, 'model.ts'), Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    assert.throws(() => torchScriptSlotPath(join(dir, 'model.ts'), place), /is a TorchScript archive, which clara-train cannot run/);
    writeFileSync(join(dir, 'model.pt'), 'x');
    assert.throws(() => checkpointSlotPath(join(dir, 'model.pt'), place), /is a PyTorch checkpoint file, which clara-train cannot load.*MMAR_CKPT=/);
    assert.throws(() => checkpointSlotPath(join(dir, 'best'), place), /no checkpoint at/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the geometry trace records each key's grid changes with the inverse's interpolation and padding", async () => {
  const chain = composeFromConfig(
    [
      { name: 'Spacingd', args: { keys: ['image', 'label'], pixdim: [2, 2, 2], mode: ['bilinear', 'nearest'], padding_mode: 'zeros' } },
      { name: 'ScaleIntensityRanged', args: { keys: 'image', a_min: 0, a_max: 1, b_min: 0, b_max: 1 } },
      { name: 'Flipd', args: { keys: ['image'], spatial_axis: 0 } },
    ],
    { file: 't', path: 'pre_transforms' },
  );
  const eye = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
  const meta = () => ({ affine: eye.map((r) => [...r]), original_affine: eye, spatial_shape: [4, 4, 4], pixdim: [1, 1, 1], filename_or_obj: 'a.nii.gz' });
  const s: Sample = {
    image: { data: new Float32Array(64).fill(1), shape: [1, 4, 4, 4] },
    image_meta_dict: meta(),
    label: { data: new Float32Array(64), shape: [1, 4, 4, 4] },
    label_meta_dict: meta(),
  };
  const input = { ...s };
  const out = (await new Compose(traceGeometry(chain.transforms)).apply(s)) as Sample;
  const img = appliedOperations(out, 'image'),
    lab = appliedOperations(out, 'label');
  assert.deepEqual(
    img.map((o) => [o.transform, o.mode, o.padding]),
    [
      ['Spacingd', 'bilinear', 'zeros'],
      ['Flipd', 'exact', 'zeros'],
    ],
  );
  assert.deepEqual(
    lab.map((o) => [o.transform, o.mode, o.padding]),
    [['Spacingd', 'nearest', 'zeros']],
  );
  assert.deepEqual(img[0].from.shape, [4, 4, 4]);
  assert.deepEqual(img[0].to.shape, [2, 2, 2]);
  assert.deepEqual(appliedOperations(input, 'image'), [], 'the input sample keeps its own (empty) record');
});
