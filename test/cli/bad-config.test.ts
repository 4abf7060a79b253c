// Bad configs are errors, not silent no-ops (#19, 10 and 11), checked through the real CLI on
// a tiny generated MMAR: each case exits 1 with one line naming the file and JSON path.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { parseWorkers } from '../../src/automl/scheduler.js';
import { checkLocalGpus } from '../../src/automl/local-gpus.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';

let base = '';
before(async () => {
  base = join(mkdtempSync(join(tmpdir(), 'clara-badcfg-')), 'mmar');
  const r = await runCli(['init', '--example', 'synthetic', base, '--train-cases', '2', '--val-cases', '1', '--size', '32']);
  assert.equal(r.code, 0, r.stderr);
});

function variant(name: string, edit: (j: Record<string, any>) => void): string {
  const dir = join(base, '..', name);
  cpSync(base, dir, { recursive: true });
  const f = join(dir, 'config', 'config_train.json');
  const j = JSON.parse(readFileSync(f, 'utf8'));
  edit(j);
  writeFileSync(f, JSON.stringify(j, null, 2));
  return dir;
}

function oneLineError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const errs = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(errs.length, 1, r.stderr);
  assert.match(errs[0], pattern);
  assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace: ${r.stderr}`);
}

test('11: epochs -1 / 0.5 and a zero validation interval are errors, before any training', async () => {
  for (const e of ['-1', '0.5']) {
    const r = await runCli(['train', '-m', base, '--set', `epochs=${e}`]);
    oneLineError(
      r,
      new RegExp(`config_train\\.json: train\\.trainer\\.args\\.max_epochs: 'max_epochs' must be an integer( >= 1)?, got ${e.replace('.', '\\.')}`),
    );
  }
  const r = await runCli(['train', '-m', base, '--set', 'num_interval_per_valid=0']);
  // the 4.x config reads it through ValidationHandler's interval ("{num_interval_per_valid}"): the error names where it landed
  oneLineError(r, /train\.handlers\[2\]\.args\.interval: 'interval' must be an integer >= 1, got 0/);
  assert.ok(!existsSync(join(base, 'models', 'train_stats.json')));
});

test('11: a trainer reference to nothing and an unregistered component fail train and config check alike', async () => {
  const ref = variant('ref', (j) => {
    j.train.trainer.args.network = '@no_such_component';
  });
  const r1 = await runCli(['train', '-m', ref]);
  oneLineError(r1, /no_such_component/);
  const c1 = await runCli(['config', 'check', '-m', ref]);
  assert.equal(c1.code, 1);
  const unreg = variant('unreg', (j) => {
    j.train.handlers.push({ name: 'MyMissingHandler', args: {} });
  });
  const c2 = await runCli(['config', 'check', '-m', unreg]);
  oneLineError(c2, /train\.handlers\[4\]\.name: unknown component 'MyMissingHandler'/);
  assert.match(c2.stdout, /not registered yet \(1\)/); // the report is still printed
  const r2 = await runCli(['train', '-m', unreg]);
  oneLineError(r2, /unknown component 'MyMissingHandler'/);
});

test('11: dataset.args.transform other than @pre_transforms is an error, not ignored', async () => {
  const dir = variant('transform', (j) => {
    j.train.dataset.args.transform = '@post_transforms';
  });
  const r = await runCli(['train', '-m', dir]);
  oneLineError(r, /train\.dataset\.args\.transform: the dataset's transform must be "@pre_transforms"/);
});

test('11: a search over a variable nothing uses is named in a warning', async () => {
  const dir = variant('unused', (j) => {
    j.nobody_reads_me = 0.5;
    j.search.push({ domain: 'lr', type: 'float', args: ['nobody_reads_me'], targets: [0.1, 0.9] });
  });
  const r = await runCli(['config', 'check', '-m', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*config_train\.json: search item \S+ varies the variable 'nobody_reads_me', which nothing in the config uses/);
  const ok = await runCli(['config', 'check', '-m', base]);
  assert.ok(!/warning/.test(ok.stderr), ok.stderr);
});

test('11: absurd GPU ids in workers are refused', async () => {
  assert.throws(() => parseWorkers('0:99999999999999999999'), /GPU id '99999999999999999999' in .* is not an id from 0 to 255/);
  assert.throws(() => parseWorkers('007'), /no leading zeros/);
  assert.throws(() => parseWorkers('1,1'), /names a GPU twice/);
  assert.throws(
    () => checkLocalGpus(parseWorkers('0:3'), 2, { path: 'workers' }),
    /worker 1: GPU 3 does not exist on this machine \(it has 2 GPU\(s\): 0\.\.1\)/,
  );
  checkLocalGpus(parseWorkers('0:1'), 2, { path: 'workers' });
  const r = await runCli(['automl', '-m', base, '--set', 'run_id=gpu', 'workers=0:4096']);
  oneLineError(r, /workers: worker 1: GPU id '4096'/);
});

test('10: a job whose loss goes NaN exits 1 with one line, stats failed, no best checkpoint', async () => {
  const dir = variant('nan', () => {});
  // A learning rate that overflows float32 weights on the first step.
  const r = await runCli(['train', '-m', dir, '--set', 'epochs=2', 'learning_rate=1e38']);
  oneLineError(
    r,
    /the training loss is (NaN|Infinity|-Infinity); training stopped as failed|weight '[^']+' holds (NaN|Infinity|-Infinity) .*: no checkpoint is written/,
  );
  const s = JSON.parse(readFileSync(join(dir, 'models', 'train_stats.json'), 'utf8')) as TrainStats;
  assert.equal(s.status, 'failed');
  assert.ok(!existsSync(join(dir, 'models', 'best', 'model.json')));
});
