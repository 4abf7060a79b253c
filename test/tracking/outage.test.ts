// The server goes away for ≥ 30 s in the middle of a search and comes back on the same port
// and store: the search never waits on it, and afterwards every param and metric point is
// on the server exactly once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowTestServer, skipUnlessMlflow } from '../helpers/mlflow-server.js';
import { makeCtx, planJobs, runJobs, assertSearchOnServer, SPACE } from '../helpers/automl-sim.js';
import { createMLflowHandler } from '../../src/automl/handlers/mlflow.js';
import type { Handler } from '../../src/automl/types.js';

const skip = skipUnlessMlflow();
const server = new MlflowTestServer();
after(async () => {
  await server.stop();
});

/** Wraps every handler method to record how long the search waited on it. */
function timed(h: Handler, waits: number[]): Handler {
  const out: Record<string, unknown> = {};
  for (const k of ['startup', 'searchSpaceAvailable', 'startJob', 'jobProgress', 'endJob', 'shutdown'] as const) {
    const f = (h as Record<string, unknown>)[k] as ((...a: unknown[]) => unknown) | undefined;
    if (f)
      out[k] = async (...a: unknown[]) => {
        const t0 = Date.now();
        await f.apply(h, a);
        if (k !== 'shutdown') waits.push(Date.now() - t0);
      };
  }
  return out as Handler;
}

test('a 30 s server outage mid-search loses nothing and duplicates nothing', { skip, timeout: 400_000 }, async () => {
  await server.start();
  const root = mkdtempSync(join(tmpdir(), 'clara-outage-'));
  const ctx = makeCtx(root);
  const logs: string[] = [];
  const env = { MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.05', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0.05', MLFLOW_HTTP_REQUEST_TIMEOUT: '10' };
  const inner = createMLflowHandler({ tracking_uri: server.uri }, undefined, {
    env,
    log: (m) => logs.push(m),
    retry: { minMs: 500, maxMs: 4000 },
    shutdownTimeoutMs: 120_000,
  });
  const waits: number[] = [];
  const h = timed(inner, waits);
  await h.startup!(ctx);
  await h.searchSpaceAvailable!({ ...ctx, SEARCH_SPACE: SPACE });
  const jobs = planJobs(4, 6, 3);
  let downAt = 0;
  await runJobs(h, ctx, jobs, async (job, epoch) => {
    if (job === jobs[0] && epoch === 4) {
      await new Promise((r) => setTimeout(r, 1500)); // let the sink catch up a little first
      await server.stop();
      downAt = Date.now();
    }
    // While the server is down the search goes on, epoch after epoch, for ≥ 30 s.
    if (downAt && server.proc === null) {
      await new Promise((r) => setTimeout(r, 2500));
      if (Date.now() - downAt >= 31_000) await server.start(server.port);
    }
  });
  assert.ok(downAt > 0, 'the outage happened');
  if (!server.proc) await server.start(server.port);
  await h.shutdown!(ctx);
  assert.ok(Math.max(...waits) < 1000, `the search never waited on the server (longest handler call ${Math.max(...waits)} ms)`);
  assert.ok(
    logs.some((l) => /unavailable, tracking continues in the journal/.test(l)),
    logs.join('\n'),
  );
  await assertSearchOnServer(server.uri, 'spleen_mmar', jobs);
});
