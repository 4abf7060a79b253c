import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, appendFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createTracker, sinkStateFile } from '../../src/tracking/create-tracker.js';
import { readJournal } from '../../src/tracking/journal.js';
import { skipUnlessMlflow } from '../helpers/mlflow-server.js';

const silent = () => {};

async function writeSearch(dir: string) {
  const journal = join(dir, 'automl', 'run1', 'tracking.jsonl');
  const mlruns = join(dir, 'mlruns');
  const t = createTracker({ journal, trackingUri: mlruns, experimentName: 'spleen seg', env: {}, log: silent });
  const parent = await t.startRun({ name: 'automl_run1', tags: { team: 'radiology' } });
  t.logParams(parent, { controller: 'random', workers: '0:0' });
  const child = await t.startRun({ name: 'W0_1_J0', parentId: parent.localId });
  t.logParams(child, { learning_rate: 0.001, 'prob#myProb': 0.5 });
  for (let e = 1; e <= 5; e++) t.logMetrics(child, [{ key: 'train_loss', value: 1 / e, step: e, timestamp: 1000 + e }]);
  t.logMetrics(child, [
    { key: 'val_mean_dice', value: NaN, step: 1, timestamp: 2000 },
    { key: 'val_mean_dice', value: 0.7, step: 2, timestamp: 2001 },
  ]);
  const art = join(dir, 'automl', 'run1', 'W0_1_J0', 'models'); // artifacts of a run lie in its folder
  mkdirSync(art, { recursive: true });
  writeFileSync(join(art, 'model.bin'), Buffer.from([0, 1, 2, 255]));
  t.logArtifact(child, art, 'models');
  await t.endRun(child, 'FINISHED');
  return { t, parent, journal, mlruns };
}

test('the journal gets every event, in order, before any sink runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-journal-'));
  const { t, parent, journal } = await writeSearch(dir);
  // Read synchronously, right after the calls: the sink (a timer away) has not run yet.
  const ev = readJournal(journal).entries.map((e) => e.event.type);
  assert.deepEqual(ev.slice(0, 5), ['journal', 'run_start', 'params', 'run_start', 'params']);
  assert.equal(ev.filter((x) => x === 'metrics').length, 6);
  assert.equal(ev.at(-1), 'run_end');
  await t.endRun(parent, 'FINISHED');
  assert.equal(await t.close(), true);
  // A torn last line (crash mid-write) is ignored by readers and dropped on reopen.
  appendFileSync(journal, '{"type":"metr');
  assert.equal(readJournal(journal).entries.length, ev.length + 1);
  const t2 = createTracker({ journal, trackingUri: join(dir, 'mlruns'), experimentName: 'spleen seg', env: {}, log: silent });
  assert.equal(t2.knownRuns().length, 2);
  const r3 = await t2.startRun({ name: 'later' });
  assert.equal(r3.localId, 'r3');
  await t2.close();
  assert.ok(readFileSync(journal, 'utf8').endsWith('\n'));
});

test('the mlruns folder is read by MLflow itself (params, tags, nesting, metric history, artifacts)', { skip: skipUnlessMlflow() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-mlruns-'));
  const { t, parent, journal, mlruns } = await writeSearch(dir);
  t.logMetrics(parent, [{ key: 'best_score', value: 0.7, step: 1 }]);
  await t.endRun(parent, 'FINISHED');
  assert.equal(await t.close(), true);
  // Reopen (a resumed search) and replay: nothing is written twice.
  const again = createTracker({ journal, trackingUri: mlruns, experimentName: 'spleen seg', env: {}, log: silent });
  assert.equal(await again.close(), true);

  const py = `
import json, os, math, sys
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri='file:' + sys.argv[1])
exp = c.get_experiment_by_name('spleen seg')
runs = c.search_runs([exp.experiment_id])
out = {}
for r in runs:
    d = {'name': r.info.run_name, 'status': r.info.status, 'params': r.data.params, 'tags': {k: v for k, v in r.data.tags.items()},
         'run_id': r.info.run_id, 'metrics': {}}
    for k in r.data.metrics:
        d['metrics'][k] = [[m.step, None if math.isnan(m.value) else m.value, m.timestamp] for m in c.get_metric_history(r.info.run_id, k)]
    d['artifacts'] = [a.path for a in c.list_artifacts(r.info.run_id, 'models')]
    out[r.info.run_name] = d
print(json.dumps(out))
`;
  const r = spawnSync('python3', ['-c', py, mlruns], { encoding: 'utf8', env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' }, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const runs = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  const p = runs.automl_run1,
    c = runs.W0_1_J0;
  assert.equal(p.status, 'FINISHED');
  assert.deepEqual(p.params, { controller: 'random', workers: '0:0' });
  assert.equal(p.tags.team, 'radiology');
  assert.equal(c.tags['mlflow.parentRunId'], p.run_id);
  assert.deepEqual(c.params, { learning_rate: '0.001', prob_myProb: '0.5' });
  assert.deepEqual(
    c.metrics.train_loss,
    [1, 2, 3, 4, 5].map((e) => [e, 1 / e, 1000 + e]),
  );
  assert.deepEqual(c.metrics.val_mean_dice, [
    [1, null, 2000],
    [2, 0.7, 2001],
  ]);
  assert.deepEqual(c.artifacts, ['models/model.bin']);
  assert.deepEqual(
    p.metrics.best_score.map((x: number[]) => x.slice(0, 2)),
    [[1, 0.7]],
  );
});

test('a metrics event applied just before a crash (cursor not saved) is not written twice on restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-mlruns-crash-'));
  const { t, journal, mlruns } = await writeSearch(dir);
  assert.equal(await t.close(), true);
  const expDir = readdirSync(mlruns).find((d) => /^\d+$/.test(d) && d !== '0')!;
  const runDir = readdirSync(join(mlruns, expDir))
    .map((d) => join(mlruns, expDir, d))
    .find((d) => existsSync(join(d, 'metrics', 'train_loss')))!;
  const before = readFileSync(join(runDir, 'metrics', 'train_loss'), 'utf8');
  assert.equal(before.trim().split('\n').length, 5);
  // The crash: the last train_loss event landed, its cursor did not.
  const entries = readJournal(journal).entries;
  const isLoss = (i: number) => {
    const e = entries[i].event;
    return e.type === 'metrics' && e.metrics.some((m) => m.key === 'train_loss');
  };
  let lastLoss = entries.length - 1;
  while (!isLoss(lastLoss)) lastLoss--;
  const stateFile = sinkStateFile(journal, `file:${mlruns}`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  state.offset = entries[lastLoss - 1].end;
  writeFileSync(stateFile, JSON.stringify(state));
  const again = createTracker({ journal, trackingUri: mlruns, experimentName: 'spleen seg', env: {}, log: silent });
  assert.equal(await again.close(), true);
  assert.equal(readFileSync(join(runDir, 'metrics', 'train_loss'), 'utf8'), before);
});
