// The REST client against a real MLflow server: experiments, runs, chunked log-batch with
// NaN/±Infinity, tags, search, full metric history, artifacts byte-equal through the proxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MlflowTestServer, skipUnlessMlflow } from '../helpers/mlflow-server.js';
import { MlflowClient } from '../../src/tracking/mlflow/client.js';
import { clientOptionsFromEnv } from '../../src/tracking/mlflow/config.js';
import { MlflowHttpError } from '../../src/tracking/mlflow/http.js';

const skip = skipUnlessMlflow();
const server = new MlflowTestServer();
before(async () => {
  if (!skip) await server.start();
});
after(async () => {
  await server.stop();
});

test('experiments, runs, chunked log-batch, tags, search, history and artifacts on a real server', { skip }, async () => {
  const c = new MlflowClient({ ...clientOptionsFromEnv({}), trackingUri: server.uri });
  assert.equal(await c.getExperimentByName('nope'), null);
  const exp = await c.getOrCreateExperiment('client test');
  assert.equal(typeof exp, 'string');
  assert.equal(await c.getOrCreateExperiment('client test'), exp);
  const run = await c.createRun({ experimentId: exp, runName: 'r', tags: { a: '1' } });
  assert.equal(typeof run.info.run_id, 'string');
  assert.match(run.info.artifact_uri, /^mlflow-artifacts:/);
  // 2500 points and 150 params: several log-batch calls.
  const metrics = Array.from({ length: 2500 }, (_, i) => ({ key: 'm', value: i * 0.5, step: i, timestamp: 1_000 + i }));
  metrics[3].value = NaN;
  metrics[4].value = Infinity;
  metrics[5].value = -Infinity;
  const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
  assert.ok((await c.logBatch(run.info.run_id, { metrics, params })) >= 3);
  // A param may be logged again with the same value, never with another one.
  await c.logBatch(run.info.run_id, { params: [{ key: 'p1', value: '1' }] });
  const err = await c.logBatch(run.info.run_id, { params: [{ key: 'p1', value: 'other' }] }).catch((e) => e);
  assert.ok(err instanceof MlflowHttpError && err.status === 400 && !err.retryable, String(err));
  await c.setTag(run.info.run_id, 'stage', 'x');
  await c.updateRun(run.info.run_id, { status: 'FINISHED', endTime: 5_000 });
  const h = await c.getMetricHistory(run.info.run_id, 'm');
  assert.equal(h.length, 2500);
  h.sort((x, y) => x.step - y.step);
  assert.ok(Number.isNaN(h[3].value));
  assert.ok(h[4].value > 1e300, 'Infinity is stored (MLflow clamps it to the largest double)');
  assert.ok(h[5].value < -1e300);
  assert.equal(h[2499].value, 2499 * 0.5);
  const got = await c.getRun(run.info.run_id);
  assert.equal(got.info.status, 'FINISHED');
  assert.equal(got.data.params.p149, '149');
  assert.equal(got.data.tags.stage, 'x');
  const found = await c.searchRuns([exp], "tags.stage = 'x'");
  assert.deepEqual(
    found.map((r) => r.info.run_id),
    [run.info.run_id],
  );
  const bytes = randomBytes(2 * 1024 * 1024 + 17);
  await c.uploadArtifact(run.info.artifact_uri, 'models/model ckpt.bin', bytes);
  assert.ok((await c.downloadArtifact(run.info.artifact_uri, 'models/model ckpt.bin')).equals(bytes));
  assert.deepEqual(
    (await c.listArtifacts(run.info.run_id, 'models')).map((f) => [f.path, f.file_size]),
    [['models/model ckpt.bin', bytes.length]],
  );
  await c.close();
});
