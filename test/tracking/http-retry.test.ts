import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MlflowHttp, MlflowHttpError, retryAfterMs } from '../../src/tracking/mlflow/http.js';
import { clientOptionsFromEnv, DEFAULTS } from '../../src/tracking/mlflow/config.js';
import { MlflowClient } from '../../src/tracking/mlflow/client.js';
import { freePort } from '../helpers/mlflow-server.js';

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return {
    uri: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

test("defaults are MLflow's and the environment overrides them", () => {
  const d = clientOptionsFromEnv({});
  assert.deepEqual([d.maxRetries, d.backoffFactor, d.backoffJitter, d.timeout, d.insecureTls], [7, 2, 1.0, 120, false]);
  assert.deepEqual(DEFAULTS, { maxRetries: 7, backoffFactor: 2, backoffJitter: 1.0, timeout: 120 });
  const e = clientOptionsFromEnv({
    MLFLOW_TRACKING_URI: 'http://h:1',
    MLFLOW_HTTP_REQUEST_MAX_RETRIES: '3',
    MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.5',
    MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0',
    MLFLOW_HTTP_REQUEST_TIMEOUT: '9',
    MLFLOW_TRACKING_INSECURE_TLS: 'true',
  });
  assert.deepEqual([e.trackingUri, e.maxRetries, e.backoffFactor, e.backoffJitter, e.timeout, e.insecureTls], ['http://h:1', 3, 0.5, 0, 9, true]);
  assert.throws(() => clientOptionsFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: 'many' }), /MLFLOW_HTTP_REQUEST_MAX_RETRIES='many'/);
  assert.equal(retryAfterMs('2'), 2000);
  assert.ok(Math.abs((retryAfterMs(new Date(Date.now() + 3000).toUTCString()) ?? 0) - 3000) < 1100);
});

test('503 and 429 with Retry-After are retried, honouring the header, then succeed', async () => {
  const seen: number[] = [];
  let n = 0;
  const s = await serve((req, res, body) => {
    seen.push(Date.now());
    n++;
    if (n === 1) {
      res.writeHead(503, { 'retry-after': '1' });
      res.end('busy');
      return;
    }
    if (n === 2) {
      res.writeHead(429, { 'retry-after': '0' });
      res.end('{"error_code":"RESOURCE_EXHAUSTED"}');
      return;
    }
    if (n === 3) {
      res.writeHead(502);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ echo: JSON.parse(body), auth: req.headers.authorization, ct: req.headers['content-type'] }));
  });
  try {
    // Backoff factor 0.05 s, no jitter: the 1 s wait can only come from Retry-After.
    const http = new MlflowHttp({ ...clientOptionsFromEnv({}), trackingUri: s.uri, backoffFactor: 0.05, backoffJitter: 0, token: 'tok' });
    const r = await http.send({ method: 'POST', path: '/api/2.0/mlflow/runs/update', json: { a: 1 } });
    assert.equal(n, 4);
    assert.deepEqual(r.echo, { a: 1 });
    assert.equal(r.auth, 'Bearer tok');
    assert.equal(r.ct, 'application/json');
    assert.ok(seen[1] - seen[0] >= 950, `Retry-After 1 s honoured (waited ${seen[1] - seen[0]} ms)`);
    assert.ok(seen[3] - seen[2] >= 90, 'exponential backoff: third retry waits factor*2^2');
    await http.close();
  } finally {
    await s.close();
  }
});

test('retries give up after MLFLOW_HTTP_REQUEST_MAX_RETRIES; 4xx is not retried; errors never show credentials', async () => {
  let n = 0;
  const s = await serve((req, res) => {
    n++;
    if (req.url?.includes('bad')) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error_code":"INVALID_PARAMETER_VALUE","message":"nope"}');
      return;
    }
    res.writeHead(500);
    res.end(`internal; you sent ${req.headers.authorization}`);
  });
  try {
    const secret = 's3cr3t-pass';
    const u = new URL(s.uri);
    const http = new MlflowHttp({
      ...clientOptionsFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' }),
      trackingUri: `http://alice:${secret}@${u.host}`,
      backoffFactor: 0.01,
      backoffJitter: 0,
    });
    const err = await http.send({ method: 'GET', path: '/x' }).catch((e) => e);
    assert.ok(err instanceof MlflowHttpError);
    assert.equal(n, 3, '1 try + 2 retries');
    assert.equal(err.status, 500);
    const basic = Buffer.from(`alice:${secret}`).toString('base64');
    assert.ok(!err.message.includes(secret) && !err.message.includes(basic), err.message);
    assert.ok(!String(err.stack).includes(secret));
    n = 0;
    const bad = await http.send({ method: 'GET', path: '/bad' }).catch((e) => e);
    assert.equal(n, 1);
    assert.equal(bad.errorCode, 'INVALID_PARAMETER_VALUE');
    assert.match(bad.message, /HTTP 400 INVALID_PARAMETER_VALUE: nope/);
    await http.close();
  } finally {
    await s.close();
  }
});

test('connection errors are retried and reported without the password', async () => {
  const port = await freePort(); // nothing listens there
  const client = new MlflowClient({
    ...clientOptionsFromEnv({ MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'hunter2-secret' }),
    trackingUri: `http://127.0.0.1:${port}`,
    maxRetries: 2,
    backoffFactor: 0.01,
    backoffJitter: 0,
  });
  const t0 = Date.now();
  const err = await client.getExperimentByName('x').catch((e) => e);
  assert.ok(err instanceof MlflowHttpError && err.retryable);
  assert.match(err.message, /failed after 3 attempt\(s\)/);
  assert.ok(!err.message.includes('hunter2-secret'));
  assert.ok(Date.now() - t0 >= 25);
  await client.close();
});
