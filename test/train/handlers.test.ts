// Clara 4.x train handlers are built by their registered factories (src/train/handlers.ts):
// `config check` runs the same checks, so it and `train` refuse a bad handler arg with the
// same words, before anything is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { registry } from '../../src/config/registry.js';
import '../../src/cli/builtins.js';
import type { TrainHandler } from '../../src/train/handlers.js';
import { runCli } from '../cli/run-cli.js';

const MMAR = resolve('test/fixtures/mmars/clara4_LR_LP');
const place = { file: 'config_train.json', path: 'train.handlers[2]' };

function mmarWith(edit: (j: { train: { handlers: { name: string; args: Record<string, unknown> }[] } }) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'clara-handlers-'));
  cpSync(MMAR, dir, { recursive: true });
  const file = join(dir, 'config', 'config_train.json');
  const j = JSON.parse(readFileSync(file, 'utf8'));
  edit(j);
  writeFileSync(file, JSON.stringify(j));
  return dir;
}

test('the handler factories say what they ask of the trainer, and check their values with the JSON path', () => {
  const build = (name: string, args: Record<string, unknown>) => registry.require(name, place, 'handler').factory(args, place) as TrainHandler;
  assert.deepEqual(build('ValidationHandler', { interval: '2', validator: '@evaluator', epoch_level: true }), { does: 'validate', interval: 2 });
  assert.deepEqual(build('monai.handlers.CheckpointLoader', { load_path: 'models/model.ckpt' }), { does: 'load_checkpoint', loadPath: 'models/model.ckpt' });
  assert.deepEqual(build('CheckpointSaver', { save_dir: 'out' }), { does: 'save_checkpoints', saveDir: 'out' });
  assert.equal(build('TensorBoardStatsHandler', { log_dir: 'x' }).does, 'notice');
  assert.throws(
    () => build('ValidationHandler', { interval: 0 }),
    /^ClaraError: config_train\.json: train\.handlers\[2\]\.args\.interval: 'interval' must be an integer >= 1, got 0$/,
  );
  assert.throws(() => build('CheckpointLoader', {}), /train\.handlers\[2\]\.args\.load_path: CheckpointLoader needs load_path/);
  // A train config's StatsHandler is the train handler, not the AutoML handler of the same name.
  assert.equal(registry.get('StatsHandler', 'handler')!.kind, 'handler');
  assert.equal(registry.get('StatsHandler', 'automl_handler')!.kind, 'automl_handler');
});

for (const [what, edit, want] of [
  [
    'a misspelt handler arg name',
    (j) => {
      j.train.handlers[2].args.intervall = 2;
    },
    /config_train\.json: train\.handlers\[2\]\.args\.intervall: ValidationHandler has no argument 'intervall'; it accepts interval, validator, epoch_level, exec_at_start \(closest: interval\)/,
  ],
  [
    'a bad handler arg value',
    (j) => {
      j.train.handlers[2].args.interval = 'two';
    },
    /config_train\.json: train\.handlers\[2\]\.args\.interval: 'interval' must be an integer, got "two"/,
  ],
  [
    'an AutoML handler in a 4.x train config',
    (j) => {
      j.train.handlers[3].name = 'MMARStatsHandler';
    },
    /config_train\.json: train\.handlers\[3\]\.name: unknown handler 'MMARStatsHandler'; closest known: /,
  ],
] as [string, (j: { train: { handlers: { name: string; args: Record<string, unknown> }[] } }) => void, RegExp][]) {
  test(`config check and train refuse ${what} with the same error`, () => {
    const dir = mmarWith(edit);
    const check = runCli(['config', 'check', '-m', dir]);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stderr, want);
    const train = runCli(['train', '-m', dir]);
    assert.equal(train.code, 1, train.stderr);
    assert.match(train.stderr, want);
    assert.equal(train.stderr.trim().split('\n').at(-1), check.stderr.trim().split('\n').at(-1), 'the same error line');
  });
}
