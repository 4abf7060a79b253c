// Tracking throughput and overhead against a local `mlflow server` (sqlite store):
//  - metric points/s through log-batch (the REST client alone, 1000-point chunks)
//  - metric points/s through the whole path (tracker → journal → background sink → server)
//  - per-job overhead the MLflowHandler adds to the search (time the engine waits in the
//    handler's calls for one job: start, 10 epochs of events, end with artifacts)
//  - per-job time for the background sink to deliver a job (not waited on by the search)
// Usage: npm run bench -- tracking [points=20000] [jobs=10]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowTestServer, mlflowAvailable } from '../test/helpers/mlflow-server.js';
import { makeCtx, planJobs, runJobs, SPACE } from '../test/helpers/automl-sim.js';
import { MlflowClient } from '../src/tracking/mlflow/client.js';
import { clientOptionsFromEnv } from '../src/tracking/mlflow/config.js';
import { createTracker } from '../src/tracking/create-tracker.js';
import { createMLflowHandler } from '../src/automl/handlers/mlflow.js';
import type { Handler } from '../src/automl/types.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';

const points = Number(process.argv[2] ?? 20000);
const nJobs = Number(process.argv[3] ?? 10);

async function main(): Promise<void> {
  const why = mlflowAvailable();
  if (why) throw new Error(`benchmark needs mlflow: ${why}`);
  const server = new MlflowTestServer();
  const t0 = Date.now();
  await server.start();
  const startS = (Date.now() - t0) / 1000;
  try {
    const figures: Figure[] = [];
    // 1. The client alone.
    const client = new MlflowClient({ ...clientOptionsFromEnv({}), trackingUri: server.uri });
    const exp = await client.getOrCreateExperiment('bench');
    const rates: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const run = await client.createRun({ experimentId: exp, runName: `client_${rep}` });
      const metrics = Array.from({ length: points }, (_, i) => ({
        key: `m${i % 5}`,
        value: Math.sin(i),
        step: Math.floor(i / 5),
        timestamp: 1_700_000_000_000 + i,
      }));
      const s = process.hrtime.bigint();
      await client.logBatch(run.info.run_id, { metrics });
      rates.push(points / (Number(process.hrtime.bigint() - s) / 1e9));
    }
    figures.push({ name: 'log-batch points/s (client)', value: Math.round(median(rates)), unit: 'points/s', points, target: '>= 1000' });

    // 2. The whole path: journal first, then the background sink.
    const dir = mkdtempSync(join(tmpdir(), 'clara-bench-'));
    const tracker = createTracker({ journal: join(dir, 'tracking.jsonl'), trackingUri: server.uri, experimentName: 'bench', env: {}, log: () => {} });
    const run = await tracker.startRun({ name: 'pipeline' });
    const s2 = process.hrtime.bigint();
    let callS = 0;
    for (let i = 0; i < points; i += 100) {
      const c = process.hrtime.bigint();
      tracker.logMetrics(
        run,
        Array.from({ length: 100 }, (_, k) => ({ key: `m${k % 5}`, value: i + k, step: Math.floor((i + k) / 5), timestamp: 1_700_000_000_000 + i + k })),
      );
      callS += Number(process.hrtime.bigint() - c) / 1e9;
    }
    await tracker.endRun(run, 'FINISHED');
    const ok = await tracker.close(300_000);
    const pipeS = Number(process.hrtime.bigint() - s2) / 1e9;
    if (!ok) throw new Error('the sink did not catch up');
    figures.push({ name: 'journal+sink points/s (end to end)', value: Math.round(points / pipeS), unit: 'points/s', points, target: '>= 1000' });
    figures.push({ name: 'logMetrics call (100 points, journal append)', value: +((1000 * callS) / (points / 100)).toFixed(3), unit: 'ms' });

    // 3. Per-job overhead the handler adds to the search.
    const root = mkdtempSync(join(tmpdir(), 'clara-bench-h-'));
    const ctx = makeCtx(root, 'bench_run');
    const h = createMLflowHandler({ tracking_uri: server.uri, experiment_name: 'bench handler' }, undefined, { log: () => {} });
    await h.startup(ctx);
    h.searchSpaceAvailable({ ...ctx, SEARCH_SPACE: SPACE });
    const perJob = new Map<string, number>();
    const timedH: Handler = {};
    for (const k of ['startJob', 'jobProgress', 'endJob'] as const) {
      (timedH as Record<string, unknown>)[k] = async (c: { JOB_NAME?: string }, e?: unknown) => {
        const s = process.hrtime.bigint();
        await (h[k] as (a: unknown, b?: unknown) => unknown).call(h, c, e);
        perJob.set(c.JOB_NAME ?? '', (perJob.get(c.JOB_NAME ?? '') ?? 0) + Number(process.hrtime.bigint() - s) / 1e6);
      };
    }
    const jobs = planJobs(nJobs, 10, 11).map((j) => ({ ...j, fail: false, score: Math.max(...j.dice) }));
    const sj = process.hrtime.bigint();
    await runJobs(timedH, ctx, jobs);
    const searchS = Number(process.hrtime.bigint() - sj) / 1e9;
    const sd = process.hrtime.bigint();
    await h.tracker!.waitForSinks(300_000);
    const drainAfterS = Number(process.hrtime.bigint() - sd) / 1e9;
    await h.shutdown(ctx);
    const overhead = [...perJob.values()];
    figures.push({
      name: 'handler overhead per job (search waits)',
      value: +median(overhead).toFixed(2),
      unit: 'ms',
      jobs: nJobs,
      epochs: 10,
      max: +Math.max(...overhead).toFixed(2),
      target: '<= 50',
    });
    figures.push({ name: 'sink delivery per job (background)', value: +((1000 * (searchS + drainAfterS)) / nJobs).toFixed(1), unit: 'ms', jobs: nJobs });
    figures.push({ name: 'mlflow server start', value: +startS.toFixed(1), unit: 's' });
    printTable(figures.map((f) => ({ figure: f.name, value: f.value, unit: f.unit })));
    writeResults('tracking', figures, { mlflowServer: 'sqlite store, --workers 1, 127.0.0.1' });
    await client.close();
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
