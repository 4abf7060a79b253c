// Every experiment clara-train logs to carries mlflow.experimentKind=custom_model_development
// (MLflow 3.x's UI otherwise opens it as a GenAI project), on a real server and in an mlruns
// folder read back by MLflow itself; a kind someone already set is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowTestServer, api, skipUnlessMlflow } from '../helpers/mlflow-server.js';
import { createTracker } from '../../src/tracking/create-tracker.js';
import { EXPERIMENT_KIND, EXPERIMENT_KIND_TAG } from '../../src/tracking/experiment-kind.js';

const skip = skipUnlessMlflow();
const server = new MlflowTestServer();
before(async () => {
  if (!skip) await server.start();
});
after(async () => {
  await server.stop();
});
const silent = () => {};

async function logOneRun(dir: string, uri: string, experimentName: string): Promise<void> {
  const t = createTracker({ journal: join(dir, `${experimentName}.jsonl`), trackingUri: uri, experimentName, env: {}, log: silent });
  const r = await t.startRun({ name: 'automl_x' });
  t.logMetrics(r, [{ key: 'best_score', value: 0.5, step: 1 }]);
  await t.endRun(r, 'FINISHED');
  assert.equal(await t.close(10_000), true);
}

const tagsOf = (e: { tags?: { key: string; value: string }[] }) => Object.fromEntries((e.tags ?? []).map((t) => [t.key, t.value]));

test('a real MLflow server: new experiments are created with the kind, untagged ones get it, a set kind is kept', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-kind-'));
  await logOneRun(dir, server.uri, 'fresh');
  const fresh = await api(server.uri, 'experiments/get-by-name?experiment_name=fresh');
  assert.equal(tagsOf(fresh.experiment)[EXPERIMENT_KIND_TAG], EXPERIMENT_KIND);

  await api(server.uri, 'experiments/create', { name: 'made elsewhere' });
  await logOneRun(dir, server.uri, 'made elsewhere');
  const old = await api(server.uri, 'experiments/get-by-name?experiment_name=made%20elsewhere');
  assert.equal(tagsOf(old.experiment)[EXPERIMENT_KIND_TAG], EXPERIMENT_KIND);

  await api(server.uri, 'experiments/create', { name: 'genai', tags: [{ key: EXPERIMENT_KIND_TAG, value: 'genai_development' }] });
  await logOneRun(dir, server.uri, 'genai');
  const g = await api(server.uri, 'experiments/get-by-name?experiment_name=genai');
  assert.equal(tagsOf(g.experiment)[EXPERIMENT_KIND_TAG], 'genai_development');
});

test('an mlruns folder: MLflow reads the experiment kind tag', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-kind-mlruns-'));
  const mlruns = join(dir, 'mlruns');
  await logOneRun(dir, mlruns, 'spleen');
  const py = `
import json, sys
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri='file:' + sys.argv[1])
print(json.dumps(c.get_experiment_by_name('spleen').tags))
`;
  const r = spawnSync('python3', ['-c', py, mlruns], { encoding: 'utf8', env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' }, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const tags = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(tags[EXPERIMENT_KIND_TAG], EXPERIMENT_KIND);
});
