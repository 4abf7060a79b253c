import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mlflowKey, mlflowKeys, paramValue, tagValue, MAX_KEY_LENGTH } from '../../src/tracking/keys.js';
import { chunkBatch, LIMITS, type WireMetric } from '../../src/tracking/mlflow/batch.js';
import { encodeDouble, decodeDouble } from '../../src/tracking/mlflow/values.js';
import { artifactProxyPath } from '../../src/tracking/mlflow/client.js';
import { spawnSync } from 'node:child_process';
import { skipUnlessMlflow } from '../helpers/mlflow-server.js';

const ODD_KEYS = [
  'lr.float.train.lr_policy$0:poly_power',
  'a//b',
  '/abs',
  './x',
  '../up',
  'x/../y',
  'prob#myProb',
  '',
  'ü ok',
  'a'.repeat(300),
  'tab\tand\nnewline',
  'a/',
];

// MLflow's rule (mlflow/utils/validation.py): ^[/\w.\- :]*$ and posix-normalised == itself.
const valid = (k: string) =>
  /^[/\p{L}\p{N}_.\- :]*$/u.test(k) && !k.startsWith('/') && !k.split('/').some((s) => s === '' || s === '.' || s === '..') && k.length <= 250;

test('keys become valid MLflow names and valid ones stay as they are', () => {
  for (const k of ODD_KEYS) {
    const m = mlflowKey(k);
    assert.ok(valid(m), `${JSON.stringify(k)} → ${JSON.stringify(m)}`);
  }
  for (const k of ['train_loss', 'val_mean_dice', 'search_space/x.y', 'a b:c-d']) assert.equal(mlflowKey(k), k);
  assert.equal(mlflowKey('lr.float.train$0:x'), 'lr.float.train_0:x');
  assert.equal(mlflowKey('a'.repeat(300)).length, MAX_KEY_LENGTH);
  const m = mlflowKeys({ a$b: 1, 'a#b': 2 });
  assert.deepEqual(Object.keys(m), ['a_b', 'a_b_2']);
});

test('values are cut at MLflow limits and NaN/Infinity go on the wire as protobuf JSON strings', () => {
  assert.equal(paramValue('x'.repeat(7000)).length, 6000);
  assert.equal(tagValue('x'.repeat(9000)).length, 8000);
  assert.equal(paramValue(0.5), '0.5');
  assert.equal(paramValue(true), 'true');
  assert.deepEqual([NaN, Infinity, -Infinity, 1.5].map(encodeDouble), ['NaN', 'Infinity', '-Infinity', 1.5]);
  assert.ok(Number.isNaN(decodeDouble('NaN')));
  assert.equal(decodeDouble('-Infinity'), -Infinity);
});

test('log-batch chunks respect 1000 metrics, 100 params, 100 tags, 1000 entities and 1 MB', () => {
  const metrics: WireMetric[] = Array.from({ length: 2500 }, (_, i) => ({ key: 'm', value: i, step: i, timestamp: 1 }));
  const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
  const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
  const chunks = chunkBatch({ metrics, params, tags });
  for (const c of chunks) {
    assert.ok(c.metrics.length <= LIMITS.metrics && c.params.length <= LIMITS.params && c.tags.length <= LIMITS.tags);
    assert.ok(c.metrics.length + c.params.length + c.tags.length <= LIMITS.entities);
    assert.ok(JSON.stringify({ run_id: 'x'.repeat(32), ...c }).length < LIMITS.bytes);
  }
  assert.deepEqual(
    chunks.flatMap((c) => c.metrics),
    metrics,
  );
  assert.deepEqual(
    chunks.flatMap((c) => c.params),
    params,
  );
  assert.deepEqual(
    chunks.flatMap((c) => c.tags),
    tags,
  );
  // Big values: the byte limit splits before the count limits do.
  const big = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(6000) }));
  const tagsBig = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'y'.repeat(8000) }));
  const c2 = chunkBatch({ metrics: [], params: big, tags: tagsBig });
  assert.ok(c2.length >= 2);
  for (const c of c2) assert.ok(JSON.stringify({ run_id: 'x'.repeat(32), ...c }).length < LIMITS.bytes);
});

test('artifact URIs map to the mlflow-artifacts proxy path', () => {
  assert.equal(artifactProxyPath('mlflow-artifacts:/1/abc/artifacts', 'models/m.json'), '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/models/m.json');
  assert.equal(artifactProxyPath('mlflow-artifacts://host:5000/1/abc/artifacts', 'a b.txt'), '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/a%20b.txt');
  assert.throws(() => artifactProxyPath('s3://bucket/x', 'f'), /not served by the tracking server/);
});

test('MLflow itself accepts the keys we make (its own validators)', { skip: skipUnlessMlflow() }, () => {
  const keys = ODD_KEYS.map(mlflowKey);
  const py = `
import json, sys
from mlflow.utils.validation import _validate_metric_name, _validate_param_name, _validate_tag_name
for k in json.load(sys.stdin):
    _validate_metric_name(k); _validate_param_name(k); _validate_tag_name(k)
print("ok")`;
  const r = spawnSync('python3', ['-c', py], { input: JSON.stringify(keys), encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok/);
});
