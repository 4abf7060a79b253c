import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MlflowTestServer, skipUnlessMlflow, api, freePort } from '../../helpers/mlflow-server.js';
import { makeCtx, planJobs, runJobs, assertSearchOnServer, SPACE } from '../../helpers/automl-sim.js';
import { createMLflowHandler, readableParams } from '../../../src/automl/handlers/mlflow.js';
import { registry } from '../../../src/config/registry.js';
import '../../../src/automl/handlers/register-mlflow.js';

const skip = skipUnlessMlflow();
const server = new MlflowTestServer();
const silent = () => {};

before(async () => {
  if (!skip) await server.start();
});
after(async () => {
  await server.stop();
});

test('MLflowHandler is registered and validates its args with the JSON path', () => {
  const spec = registry.require('MLflowHandler', { file: 'config_automl.json', path: 'handlers[0]' }, 'automl_handler');
  assert.throws(
    () => registry.checkArgs(spec, { tracking_url: 'x' }, { file: 'config/config_automl.json', path: 'handlers[0]' }),
    /handlers\[0\]\.args\.tracking_url.*closest: tracking_uri/,
  );
  assert.throws(
    () => createMLflowHandler({ tags: ['a'] }, { file: 'config/config_automl.json', path: 'handlers[1]' }),
    /config_automl\.json: handlers\[1\]\.args\.tags: .*object of string values/,
  );
  assert.throws(() => createMLflowHandler({ tracking_uri: 5 }, { file: 'c.json', path: 'handlers[0]' }), /handlers\[0\]\.args\.tracking_uri.*must be a string/);
});

test('concrete search values get readable keys (aliases, variables, enum choices resolved)', () => {
  assert.deepEqual(readableParams({ 'lr.float.learning_rate': 0.001, 'transform.enum.train.pre_transforms$3:prob': 1 }, SPACE), {
    learning_rate: 0.001,
    flipProb: 0.5,
    'train.pre_transforms.3.disabled': true,
  });
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
  const bad = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { main } = await import(${JSON.stringify(resolve('src/cli/main.ts'))}); process.exitCode = await main(['node','clara-train','mlflow','sync','--to','http://127.0.0.1:1','--run-dir','/nonexistent']);`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /\/nonexistent\/tracking\.jsonl: no tracking journal/);
});

test('a search that crashed while the server was unreachable is completed on resume', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'clara-hr-'));
  const ctx = makeCtx(root, 'run_3');
  const jobs = planJobs(3, 3, 9).map((j) => ({ ...j, fail: false, score: Math.max(...j.dice) }));
  const logs: string[] = [];
  // First process: the server URI is wrong (nothing listens); it dies in the middle of job 2.
  const dead = `http://127.0.0.1:${await freePort()}`;
  const a = createMLflowHandler({ tracking_uri: dead, experiment_name: 'resumed' }, undefined, {
    log: (m) => logs.push(m),
    env: { MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.01', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0' },
  });
  await a.startup(ctx);
  await runJobs(a, ctx, jobs.slice(0, 2));
  await a.startJob!({ ...ctx, JOB_NAME: jobs[2].name, CONCRETE_SEARCH_VALUE: {} });
  await a.tracker!.close(0); // the process is gone; nothing reached a server
  assert.ok(logs.some((l) => /unavailable/.test(l)));
  // Resume against the right server: the same parent run, the dead job's attempt KILLED and deleted, job 2 run again.
  const b = createMLflowHandler({ tracking_uri: server.uri, experiment_name: 'resumed' }, undefined, { log: silent });
  await b.startup(ctx);
  await runJobs(b, ctx, jobs.slice(2));
  await b.shutdown(ctx);
  const exp = (await api(server.uri, 'experiments/get-by-name?experiment_name=resumed')).experiment;
  const runs: any[] = (await api(server.uri, 'runs/search', { experiment_ids: [exp.experiment_id] })).runs;
  const tag = (r: any, k: string) => (r.data.tags ?? []).find((t: any) => t.key === k)?.value;
  const parents = runs.filter((r) => !tag(r, 'mlflow.parentRunId'));
  assert.equal(parents.length, 1);
  const kids = runs.filter((r) => tag(r, 'mlflow.parentRunId') === parents[0].info.run_id);
  assert.deepEqual(
    kids.map((r) => `${r.info.run_name} ${r.info.status}`).sort(),
    [`${jobs[0].name} FINISHED`, `${jobs[1].name} FINISHED`, `${jobs[2].name} FINISHED`].sort(),
  );
  // The interrupted attempt of job 2 is kept, KILLED, in the deleted stage (one active run per job).
  const deleted: any[] = (await api(server.uri, 'runs/search', { experiment_ids: [exp.experiment_id], run_view_type: 'DELETED_ONLY' })).runs ?? [];
  assert.deepEqual(
    deleted.map((r) => `${r.info.run_name} ${r.info.status} ${tag(r, 'mlflow.parentRunId') === parents[0].info.run_id}`),
    [`${jobs[2].name} KILLED true`],
  );
  const j0 = kids.find((r) => r.info.run_name === jobs[0].name);
  const h = (await api(server.uri, `metrics/get-history?run_id=${j0.info.run_id}&metric_key=train_loss`)).metrics;
  assert.deepEqual(
    h.map((m: any) => [Number(m.step), m.value]).sort((x: number[], y: number[]) => x[0] - y[0]),
    jobs[0].losses.map((v, e) => [e + 1, v]),
  );
  assert.equal(parents[0].info.status, 'FINISHED');
});

test('a bad event (a param changed on resume) is skipped and reported; the rest of its batch lands', { skip }, async () => {
  const { createTracker } = await import('../../../src/tracking/create-tracker.js');
  const dir = mkdtempSync(join(tmpdir(), 'clara-skip-'));
  const logs: string[] = [];
  const t = createTracker({ journal: join(dir, 'tracking.jsonl'), trackingUri: server.uri, experimentName: 'skips', env: {}, log: (m) => logs.push(m) });
  const r = await t.startRun({ name: 'x' });
  t.logParams(r, { p: 1 });
  t.logMetrics(r, [{ key: 'm', value: 1, step: 1 }]);
  t.logParams(r, { p: 2 });
  t.logMetrics(r, [{ key: 'm', value: 2, step: 2 }]);
  await t.endRun(r, 'FINISHED');
  assert.equal(await t.close(), true, 'caught up despite the bad event');
  assert.ok(
    logs.some((l) => /skipped journal event .*params/.test(l)),
    logs.join('\n'),
  );
  const exp = (await api(server.uri, 'experiments/get-by-name?experiment_name=skips')).experiment;
  const run = (await api(server.uri, 'runs/search', { experiment_ids: [exp.experiment_id] })).runs[0];
  assert.deepEqual(run.data.params, [{ key: 'p', value: '1' }]);
  const h = (await api(server.uri, `metrics/get-history?run_id=${run.info.run_id}&metric_key=m`)).metrics;
  assert.deepEqual(h.map((m: any) => Number(m.step)).sort(), [1, 2]);
  assert.equal(run.info.status, 'FINISHED');
});
