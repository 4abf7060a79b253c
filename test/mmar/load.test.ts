import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadMmar } from '../../src/mmar/load.js';
import { mmarPaths } from '../../src/mmar/paths.js';
import { ClaraError } from '../../src/util/errors.js';
import { tmpMmar } from './tmp-mmar.js';

const FIX = resolve('test/fixtures/mmars');

test('every fixture MMAR loads (train + automl configs)', () => {
  for (const n of ['clara3_AMP', 'clara4_LR_LP', 'clara4_Loss_Optimizer', 'clara4_Transform']) {
    const m = loadMmar(join(FIX, n));
    assert.ok(m.train.components.length > 10, n);
    assert.ok(m.automl, `${n} has config_automl.json`);
    assert.equal(m.paths.trainConfig, join(FIX, n, 'config', 'config_train.json'));
  }
});

test('MMAR folders', () => {
  const p = mmarPaths('/x/mmar');
  assert.equal(p.configDir, '/x/mmar/config');
  assert.equal(p.modelsDir, '/x/mmar/models');
  assert.equal(p.evalDir, '/x/mmar/eval');
  assert.equal(p.automlDir, '/x/mmar/automl');
  assert.equal(mmarPaths('/x/mmar', '/abs/c.json').trainConfig, '/abs/c.json');
});

const base = {
  epochs: 5,
  learning_rate: 1e-3,
  tag: 'cfg',
  train: {
    model: { name: 'UNet', args: { n: '{epochs}', lr: '{learning_rate}', label: 'run-{tag}-{epochs}', data: '{DATA_ROOT}' } },
  },
};

test('variable precedence: config top level < environment.json < --set; whole "{VAR}" keeps its type', () => {
  const root = tmpMmar({
    'config/config_train.json': base,
    'config/environment.json': { DATA_ROOT: 'data', tag: 'env', epochs: 7 },
  });
  let m = loadMmar(root);
  let args = (m.train.json.train as any).model.args;
  assert.deepEqual(args, { n: 7, lr: 1e-3, label: 'run-env-7', data: join(root, 'data') });
  assert.equal(m.train.json.epochs, 7);
  m = loadMmar(root, { set: ['epochs=9 tag=cli', 'learning_rate=2e-4'] });
  args = (m.train.json.train as any).model.args;
  assert.deepEqual(args, { n: 9, lr: 2e-4, label: 'run-cli-9', data: join(root, 'data') });
  assert.equal(m.train.json.learning_rate, 2e-4);
  assert.equal(m.train.vars.get('epochs')?.source, 'set');
  // raw stays as written
  assert.equal((m.train.raw.train as any).model.args.n, '{epochs}');
});

test('path variables are relative to MMAR_ROOT unless absolute', () => {
  const root = tmpMmar({
    'config/config_train.json': { train: { x: { name: 'A', args: { a: '{DATASET_JSON}', b: '{MMAR_CKPT_DIR}', c: '{MMAR_ROOT}' } } } },
    'config/environment.json': { DATASET_JSON: '/abs/ds.json', MMAR_CKPT_DIR: 'models', PROCESSING_TASK: 'segmentation' },
  });
  const m = loadMmar(root, { set: ['DATASET_JSON=sets/d.json'] });
  assert.deepEqual((m.train.json.train as any).x.args, { a: join(root, 'sets/d.json'), b: join(root, 'models'), c: root });
  assert.equal(m.environment.PROCESSING_TASK, 'segmentation');
});

test('unknown variable: error names file, JSON path and the closest defined names', () => {
  const root = tmpMmar({ 'config/config_train.json': { learning_rate: 1, train: { opt: { name: 'Adam', args: { lr: '{learning_rat}' } } } } });
  assert.throws(
    () => loadMmar(root),
    (e: unknown) => {
      assert.ok(e instanceof ClaraError);
      assert.match(e.message, /config_train\.json: train\.opt\.args\.lr: unknown variable '\{learning_rat\}'; closest defined: learning_rate/);
      return true;
    },
  );
});

test('the 3.x AMP config with the raw 3.x environment.json: DATASET_JSON is undefined (named with its path)', () => {
  const root = tmpMmar({
    'config/config_train.json': readFixture('clara3/trn_autoML_AMP.json'),
    'config/environment.json': readFixture('clara3/environment.json'),
  });
  assert.throws(() => loadMmar(root), /train\.image_pipeline\.args\.data_list_file_path: unknown variable '\{DATASET_JSON\}'/);
  // --set supplies it
  const m = loadMmar(root, { set: ['DATASET_JSON=d.json', 'DATA_ROOT=/data'] });
  assert.equal((m.train.json.validate as any).image_pipeline.args.data_list_file_path, join(root, 'd.json'));
});

test('bad JSON: file, line and column', () => {
  const root = tmpMmar({ 'config/config_train.json': '{\n  "epochs": 2,\n  "train": {\n    "model": { "name": "UNet", }\n  }\n}\n' });
  assert.throws(
    () => loadMmar(root),
    (e: unknown) => {
      assert.ok(e instanceof ClaraError);
      assert.equal(e.file, join(root, 'config/config_train.json'));
      assert.match(e.message, /invalid JSON at line 4, column 3\d/);
      return true;
    },
  );
});

test('missing MMAR or train config', () => {
  assert.throws(() => loadMmar('/nonexistent/mmar'), /MMAR root does not exist/);
  const root = tmpMmar({ 'config/environment.json': {} });
  assert.throws(() => loadMmar(root), /config_train\.json: train config not found/);
});

test('{trainconf} in config_automl.json defaults to the train config file name, --set overrides it', () => {
  const root = tmpMmar({
    'config/config_train.json': { epochs: 1 },
    'config/trn_x.json': { epochs: 1 },
    'config/config_automl.json': readFixture('clara4/config_automl.json'),
  });
  let m = loadMmar(root, { config: 'config/trn_x.json' });
  assert.equal((m.automl!.json.handlers as any)[0].args.train_config_file, 'trn_x.json');
  m = loadMmar(root, { set: ['trainconf=other.json'] });
  assert.equal((m.automl!.json.handlers as any)[0].args.train_config_file, 'other.json');
});

function readFixture(rel: string): string {
  return readFileSync(join('test/fixtures/clara-examples', rel), 'utf8');
}

test('openMmar gives a builder; writeJsonAtomic replaces a file whole', async () => {
  const { openMmar } = await import('../../src/mmar/open.js');
  const { readJsonObject } = await import('../../src/util/json-file.js');
  const { writeJsonAtomic } = await import('../../src/util/atomic-fs.js');
  const { ComponentRegistry } = await import('../../src/config/registry.js');
  const reg = new ComponentRegistry();
  reg.register({ names: ['UNet'], kind: 'model', factory: (args) => ({ args }) });
  const root = tmpMmar({ 'config/config_train.json': { n: 2, train: { model: { name: 'UNet', args: { k: '{n}' } } } } });
  const { mmar, builder } = await openMmar(root, { registry: reg, set: ['n=4'] });
  assert.deepEqual(builder.build('train.model'), { args: { k: 4 } });
  const f = join(root, 'config', 'job.json');
  writeJsonAtomic(f, mmar.train.json);
  assert.deepEqual(readJsonObject(f), mmar.train.json);
  assert.throws(() => writeJsonAtomic(join(f, 'x.json'), {}), /cannot write file/);
  assert.deepEqual(readJsonObject(f), mmar.train.json, 'still intact');
});

test('config_automl.json: `config check` and `automl` resolve it the same way (builtins, environment.json, --set); {mmar}/{config} are left for the executor', async () => {
  const { loadAutomlConfig } = await import('../../src/mmar/load.js');
  const root = tmpMmar({
    'config/config_train.json': { epochs: 1 },
    'config/environment.json': { TIMEOUT: 120 },
    'config/config_automl.json': {
      rounds: 2,
      handlers: [{ name: 'MMARHandler', args: { train_config_file: '{trainconf}' } }],
      executor: { name: 'MMARExecutor', args: { timeout_s: '{TIMEOUT}', command: ['node', 'job.js', '{mmar}', '{config}'] } },
      controller: { name: 'RandomController', args: { max_rounds: '{rounds}' } },
    },
  });
  const fromCheck = loadMmar(root).automl!.json;
  const fromRun = loadAutomlConfig(root, { set: { trainconf: 'config_train.json' } }).json;
  assert.deepEqual(fromRun, fromCheck);
  assert.deepEqual(fromRun.executor, { name: 'MMARExecutor', args: { timeout_s: 120, command: ['node', 'job.js', '{mmar}', '{config}'] } });
  assert.equal((fromRun.controller as { args: { max_rounds: number } }).args.max_rounds, 2);
  assert.equal((loadAutomlConfig(root, { set: { rounds: 5 } }).json.controller as { args: { max_rounds: number } }).args.max_rounds, 5);
  assert.throws(() => loadAutomlConfig(root, { file: 'config/nope.json' }), /config\/nope\.json: the AutoML config was not found/);
});
