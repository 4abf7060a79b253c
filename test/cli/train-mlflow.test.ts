// `train --tracking-uri` logs one run to a real MLflow server: params, per-epoch metrics with
// steps, the final score, FINISHED.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { api, MlflowTestServer, skipUnlessMlflow } from '../helpers/mlflow-server.js';

const skip = skipUnlessMlflow();
const server = new MlflowTestServer();
after(() => server.stop());

test('train logs its run to MLflow', { skip }, async () => {
  await server.start();
  const dir = join(mkdtempSync(join(tmpdir(), 'clara-mlf-')), 'mlfmmar');
  assert.equal((await runCli(['init', '--example', 'synthetic', dir, '--train-cases', '2', '--val-cases', '1', '--size', '32'])).code, 0);
  const r = await runCli(['train', '-m', dir, '--tracking-uri', server.uri, '--set', 'epochs=2', 'num_interval_per_valid=1'], {
    env: { MLFLOW_TRACKING_URI: '' },
  });
  assert.equal(r.code, 0, r.stderr);
  const exp = await api(server.uri, 'experiments/get-by-name?experiment_name=mlfmmar');
  const runs = await api(server.uri, 'runs/search', { experiment_ids: [exp.experiment.experiment_id] });
  assert.equal(runs.runs.length, 1);
  const run = runs.runs[0];
  assert.equal(run.info.status, 'FINISHED');
  const params = Object.fromEntries((run.data.params ?? []).map((p: { key: string; value: string }) => [p.key, p.value]));
  assert.equal(params.learning_rate, '0.003');
  const hist = await api(server.uri, `metrics/get-history?run_id=${run.info.run_id}&metric_key=train_loss`);
  assert.deepEqual(hist.metrics.map((m: { step: number }) => m.step).sort(), [1, 2]);
  const dice = await api(server.uri, `metrics/get-history?run_id=${run.info.run_id}&metric_key=val_mean_dice`);
  assert.equal(dice.metrics.length, 2);
});
