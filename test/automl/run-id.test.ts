// Run ids '.' and '..' put a run's jobs and journal into the MMAR root (or above it), and a
// job name read back from a journal decides what a handler deletes: both are refused (#19, 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRunId } from '../../src/automl/run-id.js';
import { removeChild } from '../../src/util/remove-child.js';
import { MMARHandler } from '../../src/automl/handlers/mmar-handler.js';
import { runCli } from '../helpers/run-cli.js';
import type { Context, Outcome } from '../../src/automl/types.js';

test('run ids . and .. are refused by the CLI, in one line', async () => {
  const mmar = mkdtempSync(join(tmpdir(), 'clara-runid-'));
  for (const id of ['.', '..', '...']) {
    const r = await runCli(['automl', '-m', mmar, '--set', `run_id=${id}`], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`run_id: run id '${id.replace(/\./g, '\\.')}' must be a folder name`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.equal(checkRunId('spleen_1.v2'), 'spleen_1.v2');
  assert.throws(() => checkRunId('a/b'), /must be a folder name/);
});

test('a handler never deletes outside its run, whatever name a journal gives', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-runid-'));
  const runRoot = join(dir, 'automl', 'run1');
  mkdirSync(join(runRoot, 'W0_1_J0'), { recursive: true });
  mkdirSync(join(dir, 'automl', 'victim'), { recursive: true });
  writeFileSync(join(dir, 'automl', 'victim', 'keep.txt'), 'x');
  assert.throws(() => removeChild(runRoot, '../victim'), /refusing to remove '\.\.\/victim'/);
  assert.throws(() => removeChild(runRoot, '..'), /refusing/);
  removeChild(runRoot, 'W0_1_J0');
  assert.ok(!existsSync(join(runRoot, 'W0_1_J0')));
  // A resumed outcome (read back from journal.jsonl) with a crafted job name.
  const h = new MMARHandler({ num_mmars_to_keep: 1 });
  const o = (jobName: string, score: number): Outcome => ({ jobName, score, status: 'FINISHED' }) as unknown as Outcome;
  const ctx = { RUN_ROOT: runRoot, props: { resumedOutcomes: [o('W0_1_J1', 0.9)] } } as unknown as Context;
  h.startup(ctx);
  assert.throws(() => h.endJob({ ...ctx, OUTCOME: o('../victim', 0.1) } as unknown as Context), /refusing to remove/);
  assert.ok(existsSync(join(dir, 'automl', 'victim', 'keep.txt')));
});
