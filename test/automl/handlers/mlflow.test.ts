import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MlflowTestServer, skipUnlessMlflow } from '../../helpers/mlflow-server.js';
import { makeCtx, planJobs, runJobs, assertSearchOnServer, SPACE } from '../../helpers/automl-sim.js';
import { createMLflowHandler, readableParams } from '../../../src/automl/handlers/mlflow.js';
import { registry } from '../../../src/config/registry.js';
import '../../../src/automl/handlers/register-mlflow.js';

const skip = skipUnlessMlflow();
const server = new MlflowTestServer();
const silent = () => {};

before(async () => { if (!skip) await server.start(); });
after(async () => { await server.stop(); });

test('MLflowHandler is registered and validates its args with the JSON path', () => {
  const spec = registry.require('MLflowHandler', { file: 'config_automl.json', path: 'handlers[0]' }, 'automl_handler');
  assert.throws(() => registry.checkArgs(spec, { tracking_url: 'x' }, { file: 'config/config_automl.json', path: 'handlers[0]' }), /handlers\[0\]\.args\.tracking_url.*closest: tracking_uri/);
  assert.throws(() => createMLflowHandler({ tags: ['a'] }, { file: 'config/config_automl.json', path: 'handlers[1]' }), /config_automl\.json: handlers\[1\]\.args\.tags: .*object of string values/);
  assert.throws(() => createMLflowHandler({ tracking_uri: 5 }, { file: 'c.json', path: 'handlers[0]' }), /handlers\[0\]\.args\.tracking_uri.*must be a string/);
});

test('concrete search values get readable keys (aliases, variables, enum choices resolved)', () => {
  assert.deepEqual(readableParams({ 'lr.float.learning_rate': 0.001, 'transform.enum.train.pre_transforms$3:prob': 1 }, SPACE),
    { learning_rate: 0.001, flipProb: 0.5, 'train.pre_transforms.3.disabled': true });
  assert.deepEqual(readableParams({ 'x.float.y': 2 }), { 'x.float.y': 2 });
});

test('a search lands in MLflow: parent run, child per job, params, metric histories, status, artifacts', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'clara-h-'));
  const ctx = makeCtx(root);
  const h = createMLflowHandler({ tracking_uri: server.uri, tags: { project: 'spleen' } }, undefined, { log: silent });
  await h.startup(ctx);
  await h.searchSpaceAvailable({ ...ctx, SEARCH_SPACE: SPACE });
  const jobs = planJobs(3, 4);
  await runJobs(h, ctx, jobs);
  await h.shutdown(ctx);
  assert.ok(existsSync(join(ctx.RUN_ROOT, 'tracking.jsonl')), 'journal at automl/<run_id>/tracking.jsonl');
  await assertSearchOnServer(server.uri, 'spleen_mmar', jobs);

  // `clara-train mlflow sync` afterwards (even under another spelling of the URI, so with a
  // fresh sink state) finds the runs already there and sends nothing twice.
  const cli = `const { main } = await import(${JSON.stringify(resolve('src/cli/main.ts'))});
process.exitCode = await main(['node', 'clara-train', 'mlflow', 'sync', '--to', ${JSON.stringify(server.uri.replace('127.0.0.1', 'localhost'))}, '--run-dir', ${JSON.stringify(ctx.RUN_ROOT)}]);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', cli], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /[1-9]\d* event\(s\) sent .* up to date/);
  await assertSearchOnServer(server.uri, 'spleen_mmar', jobs);
});

test('a search tracked to mlruns (no server) is pushed later by `clara-train mlflow sync`, once', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'clara-hs-'));
  const ctx = makeCtx(root, 'run_2');
  const h = createMLflowHandler({ tracking_uri: join(root, 'mlruns'), experiment_name: 'pushed later' }, undefined, { log: silent });
  await h.startup(ctx);
  const jobs = planJobs(2, 3, 5);
  await runJobs(h, ctx, jobs);
  await h.shutdown(ctx);
  assert.ok(existsSync(join(root, 'mlruns')));
  for (let i = 0; i < 2; i++) {
    const cli = `const { main } = await import(${JSON.stringify(resolve('src/cli/main.ts'))});
process.exitCode = await main(['node', 'clara-train', 'mlflow', 'sync', '--to', ${JSON.stringify(server.uri)}, '--journal', ${JSON.stringify(join(ctx.RUN_ROOT, 'tracking.jsonl'))}]);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', cli], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, i === 0 ? /[1-9]\d* event\(s\) sent/ : /0 event\(s\) sent/);
  }
  await assertSearchOnServer(server.uri, 'pushed later', jobs, { runId: 'run_2' });
  // Bad use is explained.
  const bad = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    `const { main } = await import(${JSON.stringify(resolve('src/cli/main.ts'))}); process.exitCode = await main(['node','clara-train','mlflow','sync','--to','http://127.0.0.1:1','--run-dir','/nonexistent']);`], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /\/nonexistent\/tracking\.jsonl: no tracking journal/);
});
