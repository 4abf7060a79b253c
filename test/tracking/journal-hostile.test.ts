// A tracking journal is a file inside an MMAR that may come from someone else: replaying it
// must never write outside the destination, send files from outside the run folder, or
// leak a password. Each case here went wrong before the sinks checked events (#19, 1 and 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { syncJournal, sinkStateFile } from '../../src/tracking/create-tracker.js';
import { journalEventProblem } from '../../src/tracking/journal-checks.js';
import { redactUri } from '../../src/tracking/mlflow/config.js';
import { MlflowClient } from '../../src/tracking/mlflow/client.js';
import { clientOptionsFromEnv } from '../../src/tracking/mlflow/config.js';
import { MlflowTestServer, freePort, skipUnlessMlflow } from '../helpers/mlflow-server.js';
import { runCli } from '../helpers/run-cli.js';

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      if (n.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** A run folder with a crafted journal: every hostile event is preceded by a valid run. */
function craft(dir: string, hostile: object[]): string {
  const run = join(dir, 'mmar', 'automl', 'run1');
  mkdirSync(join(run, 'W0_1_J0', 'models'), { recursive: true });
  writeFileSync(join(run, 'W0_1_J0', 'models', 'model.bin'), 'good');
  const t = Date.now();
  const lines = [
    { type: 'journal', v: 1, uid: 'abcdef0123456789', time: t },
    { type: 'run_start', run: 'r1', experiment: 'exp', name: 'parent', tags: {}, time: t },
    ...hostile,
    { type: 'params', run: 'r1', params: { good_param: '1' } },
    { type: 'artifact', run: 'r1', path: join(run, 'W0_1_J0', 'models'), artifactPath: 'models' },
    { type: 'run_end', run: 'r1', status: 'FINISHED', time: t + 1 },
  ];
  const journal = join(run, 'tracking.jsonl');
  writeFileSync(journal, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return journal;
}

function hostileEvents(dir: string): object[] {
  const run = join(dir, 'mmar', 'automl', 'run1');
  mkdirSync(join(run, 'W0_1_J0', 'models'), { recursive: true });
  writeFileSync(join(dir, 'secret.txt'), 'outside the run');
  symlinkSync(join(dir, 'secret.txt'), join(run, 'W0_1_J0', 'models', 'link.bin'));
  return [
    { type: 'params', run: 'r1', params: { '../../../../evil_param': 'owned' } },
    { type: 'tags', run: 'r1', tags: { '../../../../evil_tag': 'owned' } },
    { type: 'metrics', run: 'r1', metrics: [{ key: '../../../../evil_metric', value: 1, step: 0, timestamp: 1 }] },
    { type: 'artifact', run: 'r1', path: join(run, 'W0_1_J0', 'models'), artifactPath: '../../../../evil_art' },
    { type: 'artifact', run: 'r1', path: '/etc/hostname', artifactPath: '' },
    { type: 'artifact', run: 'r1', path: join(dir, 'secret.txt'), artifactPath: '' },
    { type: 'run_start', run: '../r2', experiment: 'exp', name: 'x', tags: {}, time: 1 },
    { type: 'params', run: 'r1', params: { ok: 5 } },
  ];
}

test('every key, run id and artifact path is checked as the tracker writes it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-hostile-'));
  const run = join(dir, 'mmar', 'automl', 'run1');
  mkdirSync(run, { recursive: true });
  assert.equal(journalEventProblem({ type: 'params', run: 'r1', params: { 'a/b c:d': 'x' } }, run), null);
  assert.match(String(journalEventProblem({ type: 'params', run: 'r1', params: { '../x': 'x' } }, run)), /param key "\.\.\/x" is not a valid MLflow key/);
  assert.match(String(journalEventProblem({ type: 'tags', run: 'r1', tags: { '/abs': 'x' } }, run)), /tag key/);
  assert.match(String(journalEventProblem({ type: 'metrics', run: 'r1', metrics: [{ key: 'a//b', value: 1, step: 0, timestamp: 0 }] }, run)), /metric key/);
  assert.match(String(journalEventProblem({ type: 'run_end', run: '..', status: 'FINISHED', time: 1 }, run)), /run "\.\." is not a run id/);
  assert.match(String(journalEventProblem({ type: 'artifact', run: 'r1', path: join(run, 'x'), artifactPath: 'a/../b' }, run)), /artifact path "a\/\.\.\/b"/);
  assert.match(String(journalEventProblem({ type: 'artifact', run: 'r1', path: '/etc/hostname', artifactPath: '' }, run)), /outside the run folder/);
  assert.match(String(journalEventProblem(null, run)), /not a JSON object/);
});

test('mlflow sync to an mlruns folder writes nothing outside it and sends no outside file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-hostile-'));
  const journal = craft(dir, hostileEvents(dir));
  const mlruns = join(dir, 'out', 'mlruns');
  const log: string[] = [];
  const r = await syncJournal(journal, mlruns, { log: (m) => log.push(m) });
  assert.equal(r.error, undefined);
  assert.equal(r.remainingBytes, 0);
  // Nothing named evil anywhere under dir, and mlruns holds only the good run's files.
  assert.deepEqual(
    files(dir).filter((f) => /evil|owned/.test(f)),
    [],
  );
  const got = files(mlruns);
  assert.ok(
    got.some((f) => f.endsWith('params/good_param')),
    got.join('\n'),
  );
  assert.ok(
    got.some((f) => f.endsWith('artifacts/models/model.bin')),
    got.join('\n'),
  );
  assert.ok(!got.some((f) => /hostname|secret|link\.bin/.test(f)), got.join('\n'));
  for (const f of got) assert.ok(!readFileSync(join(mlruns, f), 'utf8').includes('outside the run'), f);
  assert.equal(log.filter((l) => /refused/.test(l)).length, 8, log.join('\n'));
  assert.ok(
    log.some((l) => /link\.bin resolves outside the run folder/.test(l)),
    log.join('\n'),
  );
});

test('a crafted mlruns state file cannot turn ids into paths', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-hostile-'));
  const journal = craft(dir, []);
  const mlruns = join(dir, 'mlruns');
  writeFileSync(
    sinkStateFile(journal, `file:${mlruns}`),
    JSON.stringify({
      version: 1,
      journal,
      offset: 0,
      skipped: [],
      root: mlruns,
      experiments: { exp: '../..' },
      runs: { r1: { experimentId: '../..', runId: '..' } },
    }),
  );
  await assert.rejects(syncJournal(journal, mlruns, { log: () => {} }), /experiment 'exp' id "\.\.\/\.\." is not an id this program writes/);
  assert.ok(!existsSync(join(dir, 'params')));
});

test('a raw @ in the password is redacted whole, in messages and on stderr', async () => {
  assert.equal(redactUri('http://bob:hunter@2secret@host:5000/x'), 'http://***@host:5000/x');
  assert.equal(redactUri('GET https://u:p@ss@h/api failed; see http://h2/x'), 'GET https://***@h/api failed; see http://h2/x');
  assert.equal(redactUri('http://host:5000/a@b'), 'http://host:5000/a@b');
  const dir = mkdtempSync(join(tmpdir(), 'clara-hostile-'));
  const journal = craft(dir, []);
  const port = await freePort(); // nothing listens
  const r = await runCli(['mlflow', 'sync', '--to', `http://bob:hunter@2secret@127.0.0.1:${port}`, '--journal', journal], {
    env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', MLFLOW_HTTP_REQUEST_TIMEOUT: '5' },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /mlflow sync: stopped/);
  assert.ok(!/2secret|hunter/.test(r.stderr + r.stdout), r.stderr);
});

const skip = skipUnlessMlflow();
test('mlflow sync to a real server: no upload into another run, no outside file', { skip }, async () => {
  const server = new MlflowTestServer();
  await server.start();
  try {
    const c = new MlflowClient({ ...clientOptionsFromEnv({}), trackingUri: server.uri });
    const exp = await c.getOrCreateExperiment('exp');
    const victim = await c.createRun({ experimentId: exp, runName: 'victim' });
    const dir = mkdtempSync(join(tmpdir(), 'clara-hostile-'));
    const hostile = hostileEvents(dir);
    // The victim's artifacts sit beside ours: <exp>/<victim>/artifacts; climb to it.
    hostile.push({
      type: 'artifact',
      run: 'r1',
      path: join(dir, 'mmar', 'automl', 'run1', 'W0_1_J0', 'models', 'model.bin'),
      artifactPath: `../../${victim.info.run_id}/artifacts`,
    });
    const journal = craft(dir, hostile);
    const log: string[] = [];
    const r = await syncJournal(journal, server.uri, { log: (m) => log.push(m) });
    assert.equal(r.error, undefined, log.join('\n'));
    assert.deepEqual(await c.listArtifacts(victim.info.run_id), []);
    const mine = (await c.searchRuns([exp], "attributes.run_name = 'parent'"))[0];
    assert.ok(mine, 'our run was created');
    assert.deepEqual(
      (await c.listArtifacts(mine.info.run_id, 'models')).map((f) => f.path),
      ['models/model.bin'],
    );
    assert.deepEqual(
      (await c.listArtifacts(mine.info.run_id)).map((f) => f.path),
      ['models'],
    );
    const got = await c.getRun(mine.info.run_id);
    assert.deepEqual(Object.keys(got.data.params), ['good_param']);
    assert.equal(log.filter((l) => /refused/.test(l)).length, 9, log.join('\n'));
    await c.close();
  } finally {
    await server.stop();
  }
});

test('a crafted server state file cannot point a journal at another run on a real server', { skip }, async () => {
  const server = new MlflowTestServer();
  await server.start();
  try {
    const c = new MlflowClient({ ...clientOptionsFromEnv({}), trackingUri: server.uri });
    // Someone's real run, sent by its own journal.
    const dir = mkdtempSync(join(tmpdir(), 'clara-hostile-state-'));
    const theirs = craft(join(dir, 'a'), []);
    assert.equal((await syncJournal(theirs, server.uri, { log: () => {} })).error, undefined);
    const exp = await c.getOrCreateExperiment('exp');
    const victim = (await c.searchRuns([exp], "attributes.run_name = 'parent'"))[0];
    assert.ok(victim);
    // A received MMAR: its own journal, and a state file mapping its run to the victim's.
    const run = join(dir, 'b', 'mmar', 'automl', 'run1');
    mkdirSync(run, { recursive: true });
    const t = Date.now();
    const journal = join(run, 'tracking.jsonl');
    writeFileSync(
      journal,
      [
        { type: 'journal', v: 1, uid: 'fedcba9876543210', time: t },
        { type: 'run_start', run: 'r1', experiment: 'exp', name: 'intruder', tags: {}, time: t },
        { type: 'params', run: 'r1', params: { intruder_param: 'x' } },
        { type: 'metrics', run: 'r1', metrics: [{ key: 'intruder_metric', value: 1, step: 0, timestamp: t }] },
        { type: 'run_end', run: 'r1', status: 'FAILED', time: t + 1 },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n',
    );
    const stateFile = sinkStateFile(journal, server.uri);
    writeFileSync(
      stateFile,
      JSON.stringify({
        version: 1,
        journal,
        offset: 0,
        skipped: [],
        server: server.uri,
        experiments: { exp },
        runs: { r1: { runId: victim.info.run_id, artifactUri: victim.info.artifact_uri } },
      }),
    );
    const log: string[] = [];
    await syncJournal(journal, server.uri, { log: (m) => log.push(m) });
    assert.ok(
      log.some((l) => /is not this journal's run/.test(l)),
      log.join('\n'),
    );
    const after = await c.getRun(victim.info.run_id);
    assert.deepEqual(Object.keys(after.data.params), ['good_param']);
    assert.equal(after.info.status, 'FINISHED');
    assert.deepEqual((await c.searchRuns([exp], "params.intruder_param = 'x'")).length, 0);
    await c.close();
  } finally {
    await server.stop();
  }
});
