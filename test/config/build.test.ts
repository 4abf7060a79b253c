import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ComponentRegistry, type BuildContext } from '../../src/config/registry.js';
import { ConfigBuilder } from '../../src/config/build.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { loadMmar } from '../../src/mmar/load.js';
import { ClaraError } from '../../src/util/errors.js';
import { tmpMmar } from '../mmar/tmp-mmar.js';

const MM = resolve('test/fixtures/mmars');

interface Built {
  name: string;
  args: Record<string, any>;
  ctx: BuildContext;
  trainableWeights?: unknown;
}

/** A registry in which every name builds a record of what its factory received. */
function recordingRegistry(names: string[]): ComponentRegistry {
  const reg = new ComponentRegistry();
  for (const n of names) {
    reg.register({
      names: [n],
      kind: 'transform',
      factory: (args, ctx): Built => ({ name: n, args, ctx, ...(n === 'UNet' ? { trainableWeights: ['w1', 'w2'] } : {}) }),
    });
  }
  return reg;
}

function namesOf(m: ReturnType<typeof loadMmar>): string[] {
  return [...new Set(m.train.components.filter((c) => !c.byoc && !c.ref).map((c) => c.name))];
}

test('4.x tree: @refs are scoped (train → validate → top), shared, disabled skipped, alternatives pick the enabled one', async () => {
  const m = loadMmar(join(MM, 'clara4_Loss_Optimizer'));
  const b = await ConfigBuilder.create(m.train, { registry: recordingRegistry(namesOf(m)), mmarRoot: m.paths.root });
  const trainer = b.build('train.trainer') as Built;
  assert.equal(trainer.name, 'SupervisedTrainer');
  const model = b.build('train.model') as Built;
  assert.equal(trainer.args.network, model, 'one model instance');
  // search defaults: choice 0 → DiceLoss and Adam disabled
  assert.equal(trainer.args.loss_function.name, 'FocalLoss');
  assert.equal(trainer.args.optimizer.name, 'Novograd');
  assert.deepEqual(trainer.args.optimizer.args.params, ['w1', 'w2'], '#@model.parameters() → trainable weights');
  assert.equal(trainer.args.max_epochs, 1);
  assert.equal(trainer.args.amp, true);
  const handlers = trainer.args.train_handlers as Built[];
  assert.deepEqual(
    handlers.map((h) => h.name),
    ['LrScheduleHandler', 'ValidationHandler', 'StatsHandler', 'TensorBoardStatsHandler'],
  );
  assert.deepEqual(handlers[2].args.output_transform, { py: 'from_engine', keys: ['loss'], first: true });
  const evaluator = handlers[1].args.validator as Built;
  assert.equal(evaluator.name, 'SupervisedEvaluator');
  assert.equal(evaluator, b.build('validate.evaluator'));
  assert.equal(evaluator.args.network, model, 'validate has no model: @model → train.model');
  const vhandlers = evaluator.args.val_handlers as Built[];
  assert.deepEqual(vhandlers[0].args.output_transform, { py: 'none' });
  assert.equal(vhandlers[2].args.save_dict.train_conf, m.train.json, '@conf is the resolved config');
  // validate.dataset's @pre_transforms is validate.pre_transforms (3.x refs → the train instances)
  const vds = evaluator.args.val_data_loader.args.dataset as Built;
  const vpre = vds.args.transform as Built[];
  const tpre = b.buildList('train.pre_transforms') as Built[];
  assert.equal(vpre.length, 6);
  assert.equal(vpre[0], tpre[0], 'ref LoadImaged reuses the train instance');
  assert.equal(vds.ctx.extra?.data_list_key, 'validation');
  assert.equal(trainer.args.train_data_loader.args.dataset.ctx.extra.data_list_key, 'training');
  assert.equal(trainer.ctx.path, 'train.trainer');
});

test('3.x BYOC model: custom/CustomArch.mjs export SegResnet is constructed with its args', async () => {
  const m = loadMmar(join(MM, 'clara3_AMP'));
  const b = await ConfigBuilder.create(m.train, { registry: recordingRegistry(namesOf(m)), mmarRoot: m.paths.root });
  const model = b.build('train.model') as { args: Record<string, unknown>; constructor: { name: string } };
  assert.equal(model.constructor.name, 'SegResnet');
  assert.equal(model.args.blocks_down, '1,2,2,4');
  const vpre = b.buildList('validate.pre_transforms') as Built[];
  assert.deepEqual(
    vpre.map((t) => t.name),
    ['LoadNifti', 'ConvertToChannelsFirst', 'ScaleByResolution', 'ScaleByResolution', 'ScaleIntensityRange', 'CropFixedSizeRandomCenter'],
  );
  assert.equal(vpre[3].args.is_label, true, 'ref ScaleLb → the #ScaleLb alias');
  assert.equal(vpre[3].ctx.alias, 'ScaleLb');
});

test('BYOC errors list where they looked; unknown names give the closest registered ones', async () => {
  const root = tmpMmar({ 'config/config_train.json': { train: { model: { path: 'nets.Missing', args: {} } } } });
  const m = loadMmar(root);
  await assert.rejects(ConfigBuilder.create(m.train, { mmarRoot: root }), (e: unknown) => {
    assert.ok(e instanceof ClaraError);
    assert.match(
      e.message,
      /train\.model\.path: BYOC module for "nets\.Missing" not found; looked for .*custom\/nets\.js, .*custom\/nets\.mjs, .*nets\.js, .*nets\.mjs/,
    );
    return true;
  });
  const root2 = tmpMmar({
    'config/config_train.json': { train: { model: { path: 'nets.Nope', args: {} } } },
    'custom/nets.js': 'export class Net {}\nexport function other() {}\n',
  });
  await assert.rejects(ConfigBuilder.create(loadMmar(root2).train, { mmarRoot: root2 }), /has no exported class or function 'Nope'; it exports Net, other/);

  const reg = recordingRegistry(['DiceLoss', 'FocalLoss']);
  const r = resolveConfig({ train: { loss: { name: 'DiceLos', args: {} } } }, { file: 'c.json' });
  const b = await ConfigBuilder.create(r, { registry: reg });
  assert.throws(() => b.build('train.loss'), /c\.json: train\.loss\.name: unknown component 'DiceLos'; closest known: DiceLoss/);
});

test('alternatives: exactly one enabled; refs to nothing and cycles are errors with paths', async () => {
  const reg = recordingRegistry(['A', 'B']);
  const two = resolveConfig({ train: { loss: [{ name: 'A' }, { name: 'B' }] } }, { file: 'c.json' });
  const b = await ConfigBuilder.create(two, { registry: reg });
  assert.throws(() => b.build('train.loss'), /train\.loss: 'loss' lists 2 alternatives and 2 of them are enabled/);
  assert.throws(
    () => resolveConfig({ train: { t: [{ ref: 'Nope' }, { name: 'A#alpha' }] } }, { file: 'c.json' }),
    /train\.t\[0\]\.ref: ref 'Nope' names no component/,
  );
  const bad = resolveConfig({ train: { x: { name: 'A', args: { m: '@modle' } }, model: { name: 'B' } } }, { file: 'c.json' });
  const b2 = await ConfigBuilder.create(bad, { registry: reg });
  assert.throws(() => b2.build('train.x'), /train\.x\.args\.m: '@modle' refers to nothing; closest: @model/);
  const cyc = resolveConfig({ train: { x: { name: 'A', args: { y: '@y' } }, y: { name: 'B', args: { x: '@x' } } } }, { file: 'c.json' });
  const b3 = await ConfigBuilder.create(cyc, { registry: reg });
  assert.throws(() => b3.build('train.x'), /reference cycle: train\.x → train\.y → train\.x/);
  const py = resolveConfig({ train: { x: { name: 'A', args: { f: 'lambda x: x[0] * 2' } } } }, { file: 'c.json' });
  const b4 = await ConfigBuilder.create(py, { registry: reg });
  assert.throws(() => b4.build('train.x'), /train\.x\.args\.f: Python expression "lambda x: x\[0\] \* 2" has no TypeScript equivalent/);
  const off = resolveConfig({ train: { x: { name: 'A', args: { s: '@sched' } }, sched: { name: 'B', disabled: true } } }, { file: 'c.json' });
  const b5 = await ConfigBuilder.create(off, { registry: reg });
  assert.throws(() => b5.build('train.x'), /train\.x\.args\.s: '@sched' refers to train\.sched, which is disabled/);
});

test('disabled as "{var}" and apply @disabled from a variable; a non-boolean is an error at its path', async () => {
  const r = resolveConfig(
    {
      dropA: true,
      on: false,
      train: {
        t: [
          { name: 'A', disabled: '{dropA}' },
          { name: 'B', apply: { '@disabled': 'on' } },
        ],
      },
    },
    { file: 'c.json' },
  );
  const b = await ConfigBuilder.create(r, { registry: recordingRegistry(['A', 'B']) });
  assert.deepEqual(
    (b.buildList('train.t') as Built[]).map((x) => x.name),
    ['B'],
  );
  assert.throws(
    () => resolveConfig({ n: 3, train: { t: [{ name: 'A', apply: { '@disabled': 'n' } }] } }, { file: 'c.json' }),
    /train\.t\[0\]\.apply\.@disabled: variable 'n' must be true or false/,
  );
  assert.throws(
    () => resolveConfig({ train: { t: [{ name: 'A', apply: { '@disabled': 'nope' } }] } }, { file: 'c.json' }),
    /train\.t\[0\]\.apply\.@disabled: 'nope' is neither a variable nor a search alias/,
  );
  assert.throws(
    () => resolveConfig({ train: { t: [{ name: 'A', disabled: 'maybe' }] } }, { file: 'c.json' }),
    /train\.t\[0\]\.disabled: expected "disabled" to be true or false/,
  );
});

test('examples/synthetic: loads, 3 search items, every loss choice builds exactly one loss', async () => {
  const m = loadMmar(resolve('examples/synthetic'));
  assert.equal(m.train.space.items.length, 3);
  const { applySearchValues } = await import('../../src/config/search-apply.js');
  const { sampleDefaults } = await import('../../src/config/search-values.js');
  const enumKey = 'net.enum.$1:disableDiceLoss,disableFocalLoss';
  for (const [choice, want] of [
    [0, 'DiceLoss'],
    [1, 'FocalLoss'],
  ] as const) {
    const concrete = applySearchValues(m.train.raw, m.train.space, { ...sampleDefaults(m.train.space), [enumKey]: choice });
    const r = resolveConfig(concrete, { file: 'job.json', layers: [{ values: m.environment, source: 'environment' }] });
    const b = await ConfigBuilder.create(r, { registry: recordingRegistry(namesOf(m)) });
    assert.equal((b.build('train.loss') as Built).name, want);
    assert.equal((b.build('train.trainer') as Built).args.loss_function.name, want);
  }
});

test('config_automl.json BYOC: a factory-function export (RandomController) and a class export (MyHandler)', async () => {
  const { readJsonObject } = await import('../../src/util/json-file.js');
  const file = resolve('test/fixtures/clara-examples/clara4/config_automl_BYO_RandomController.json');
  const r = resolveConfig(readJsonObject(file), { file, automl: true, layers: [{ values: { trainconf: 'config_train.json' }, source: 'builtin' }] });
  const reg = new ComponentRegistry();
  for (const n of ['MMARHandler', 'StatsHandler', 'MMARStatsHandler']) reg.register({ names: [n], kind: 'automl_handler', factory: (args) => ({ n, args }) });
  reg.register({ names: ['MMARExecutor'], kind: 'executor', factory: (args) => ({ args }) });
  const b = await ConfigBuilder.create(r, { registry: reg, mmarRoot: join(MM, 'clara3_AMP') });
  assert.deepEqual(b.build('controller'), { kind: 'random', args: { max_rounds: 8 } });
  const handlers = b.buildList('handlers') as { constructor: { name: string }; args?: unknown }[];
  assert.equal(handlers.length, 4);
  assert.equal(handlers[3].constructor.name, 'MyHandler');
  assert.deepEqual((handlers[0] as { args: { train_config_file: string } }).args.train_config_file, 'config_train.json');
});
