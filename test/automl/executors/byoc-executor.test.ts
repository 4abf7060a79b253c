// A BYOC executor (`"executor": {"path": "module.Export", "args": {...}}`) ships as an ES
// module in the MMAR's custom/ folder, is built like the built-in executors (args + the
// search's ExecutorEnv) and checked once against the executor contract; `config check`
// reports what `automl` would refuse, with the same words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAutoML } from '../../../src/automl/run.js';
import { automlConfig, makeMmar } from '../fixtures/mmar.js';
import { runCli } from '../../cli/run-cli.js';

// Scores a job from its recommendation in-process; one worker slot on a GPU this machine lacks
// (the executor places jobs itself, so the local GPU check must not apply).
const MODULE = `
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
export class InlineExecutor {
  constructor(args, ctx) { this.args = args; this.env = ctx.env; this.path = ctx.path; }
  workerSlots() { return [{ id: 0, gpus: ['7'] }]; }
  async run(job, worker, onProgress, signal) {
    const lr = Object.entries(job.recommendation.values).find(([k]) => k.includes('learning_rate'))[1];
    appendFileSync(this.env.mmarRoot + '/byoc_executor.log', [job.name, worker.id, worker.gpus.join(','), this.args.tag, basename(this.env.trainConfigFile), this.path].join(' ') + '\\n');
    return { recommendation: job.recommendation, jobName: job.name, score: this.args.offset - Math.abs(Math.log10(lr) + 3), status: 'FINISHED' };
  }
}
export class NoRun {
  constructor(args) { this.args = args; }
  execute(job) { return job; }
}
`;

const byocAutoml = (exportName: string, args: Record<string, unknown>) => ({
  ...automlConfig({ controller: { name: 'RandomController', args: { max_rounds: 3, max_jobs_per_round: 2, seed: 3 } } }),
  executor: { path: `inline_executor.${exportName}`, args },
});

test('a BYOC executor from custom/ runs every job with its args and the search env, in the worker slots it gives', async () => {
  const mmar = makeMmar({ automl: byocAutoml('InlineExecutor', { tag: 'T1', offset: 10 }), files: { 'custom/inline_executor.mjs': MODULE } });
  const s = await runAutoML({ mmarRoot: mmar, runId: 'byoc-exec', vars: { trainconf: 'trn_automl.json' }, log: () => {} });
  assert.equal(s.outcomes.length, 6);
  for (const o of s.outcomes) {
    const lr = Object.entries(o.recommendation.values).find(([k]) => k.includes('learning_rate'))![1] as number;
    assert.equal(o.status, 'FINISHED');
    assert.equal(o.score, 10 - Math.abs(Math.log10(lr) + 3));
  }
  const lines = readFileSync(join(mmar, 'byoc_executor.log'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 6);
  for (const l of lines) assert.match(l, /^W0_\d+_J\d+ 0 7 T1 trn_automl\.json executor$/);
  rmSync(mmar, { recursive: true, force: true });
});

test('a BYOC executor without run() is refused once, naming the file, the JSON path and the contract; config check says the same', async () => {
  const mmar = makeMmar({ automl: byocAutoml('NoRun', { tag: 'x' }), files: { 'custom/inline_executor.mjs': MODULE } });
  await assert.rejects(
    runAutoML({ mmarRoot: mmar, runId: 'norun', vars: { trainconf: 'trn_automl.json' }, log: () => {} }),
    /config_automl\.json: executor: the executor component does not fit its contract \(run\(job, worker, onProgress, signal\) → outcome\): an object with args; missing run/,
  );
  const r = runCli(['config', 'check', '-m', mmar, '--config', 'config/trn_automl.json', '--set', 'trainconf=trn_automl.json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /config_automl\.json: executor: class NoRun does not fit the executor contract \(run\(job, worker, onProgress, signal\) → outcome\): missing run/,
  );
  rmSync(mmar, { recursive: true, force: true });
});

test('a bad built-in executor arg value: automl and config check refuse it with the same message', async () => {
  const mmar = makeMmar({ automl: automlConfig({ executorArgs: { timeout_s: -5 } }) });
  const want = /config_automl\.json: executor\.args\.timeout_s: expected timeout_s in seconds, a number >= 0 \(0 = no limit\), got -5/;
  await assert.rejects(runAutoML({ mmarRoot: mmar, runId: 'bad', vars: { trainconf: 'trn_automl.json' }, log: () => {} }), want);
  const r = runCli(['config', 'check', '-m', mmar, '--config', 'config/trn_automl.json', '--set', 'trainconf=trn_automl.json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, want);
  rmSync(mmar, { recursive: true, force: true });
});
