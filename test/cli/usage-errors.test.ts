// Usage errors are one line, never a stack trace; a full disk names the file; `init` with
// an absurd size leaves nothing half-written; a writer killed at the stats rename leaves no
// temp file behind for good (#19, 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';
import { errorLine } from '../../src/cli/error-line.js';
import { removeStaleTemps } from '../../src/util/atomic-fs.js';
import { TrainStatsWriter, emptyStats } from '../../src/jobs/train-stats.js';

function oneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.ok(!/\n\s+at |\bat .*\.(js|ts):\d+/.test(r.stderr), r.stderr);
}

test('bad init options are one line; an absurd size leaves no MMAR and no temp folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-usage-'));
  oneLine(runCli(['init', '--example', 'synthetic', join(dir, 'a'), '--size', 'abc']), /^error: --size: expected a non-negative integer, got abc$/m);
  oneLine(runCli(['init', '--example', 'synthetic', join(dir, 'b'), '--train-cases', '-3']), /--train-cases: expected a non-negative integer, got -3/);
  oneLine(runCli(['init', '--example', 'synthetic', join(dir, 'c'), '--size', '100000']), /--size: expected a volume edge of 8 to 512 voxels, got 100000/);
  oneLine(runCli(['init', '--example', 'synthetic', join(dir, 'd'), '--val-cases', '0']), /--val-cases: expected 1 to 10000 cases, got 0/);
  assert.deepEqual(readdirSync(dir), []);
  // A good init leaves exactly the MMAR.
  const ok = runCli(['init', '--example', 'synthetic', join(dir, 'e'), '--size', '8', '--train-cases', '1', '--val-cases', '1']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(readdirSync(dir), ['e']);
  assert.ok(existsSync(join(dir, 'e', 'data', 'dataset.json')) && existsSync(join(dir, 'e', 'models')));
  assert.ok(!ok.stderr.includes('.e.init-'), ok.stderr);
});

test('an unexpected error is one line; a full disk names the file and what to do', () => {
  const fd = openSync('/dev/full', 'w');
  let enospc: unknown;
  try {
    writeSync(fd, 'x');
  } catch (e) {
    enospc = e;
  } finally {
    closeSync(fd);
  }
  assert.ok(enospc, '/dev/full refuses writes');
  (enospc as NodeJS.ErrnoException).path = '/data/models/best/weights.bin';
  assert.equal(errorLine(enospc, {}), '/data/models/best/weights.bin: no space left on the device: free some space and run again (write ENOSPC)');
  const bug = new TypeError("Cannot read properties of undefined (reading 'x')\nmore");
  assert.equal(errorLine(bug, {}), "Cannot read properties of undefined (reading 'x') (an unexpected error; set CLARA_DEBUG=1 for the stack trace)");
  assert.match(errorLine(bug, { CLARA_DEBUG: '1' }), /^TypeError: [^]*\n\s+at /);
});

test('temp files of a writer killed at the stats rename are removed by the next writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-usage-'));
  mkdirSync(join(dir, 'models'));
  const file = join(dir, 'models', 'train_stats.json');
  const dead = join(dir, 'models', '.train_stats.json.tmp-999999999-abc-0');
  const mine = join(dir, 'models', `.train_stats.json.tmp-${process.pid}-abc-1`);
  writeFileSync(dead, '{"half":');
  writeFileSync(mine, '{}');
  new TrainStatsWriter(file, emptyStats('val_mean_dice', 1, 'cpu', 'off')).write();
  assert.ok(!existsSync(dead), "the dead writer's temp is gone");
  assert.ok(existsSync(mine), "a live writer's temp is kept");
  assert.ok(existsSync(file));
  assert.equal(removeStaleTemps(file), 0);
});
