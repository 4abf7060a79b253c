// Drives a handler through a simulated AutoML search (the engine's event order), with real
// job folders (config, log, a binary model) so artifacts can be checked byte for byte.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, Handler, Outcome } from '../../src/automl/types.js';
import type { SearchSpace } from '../../src/config/search-types.js';
import { Rng } from '../../src/util/random.js';
import assert from 'node:assert/strict';
import { api, fetchRetry as fetch } from './mlflow-server.js';

export const SPACE: SearchSpace = {
  items: [
    {
      key: 'lr.float.learning_rate',
      domain: 'lr',
      type: 'float',
      args: ['learning_rate'],
      targets: [{ kind: 'var', name: 'learning_rate' }],
      range: [1e-5, 1e-2],
      log: true,
      path: 'search[0]',
    },
    {
      key: 'transform.enum.train.pre_transforms$3:prob',
      domain: 'transform',
      type: 'enum',
      args: ['prob#flipProb', '@disabled'],
      targets: [
        { kind: 'arg', name: 'prob', componentPath: 'train.pre_transforms[3]', alias: 'flipProb' },
        { kind: 'disabled', name: 'disabled', componentPath: 'train.pre_transforms[3]' },
      ],
      choices: [
        [0.1, false],
        [0.5, true],
      ],
      path: 'train.pre_transforms[3].search[0]',
    },
  ],
};

export interface SimJob {
  name: string;
  lr: number;
  flip: number;
  fail: boolean;
  losses: number[];
  dice: number[];
  score: number;
  model: Buffer;
}

export function makeCtx(root: string, runId = 'run_1'): Context {
  const mmar = join(root, 'spleen_mmar');
  mkdirSync(mmar, { recursive: true });
  return {
    RUN_ID: runId,
    RUN_ROOT: join(mmar, 'automl', runId),
    MMAR_ROOT: mmar,
    props: { controller: 'random', controller_args: { max_rounds: 2, seed: 7 }, workers: '0:1' },
  };
}

export function planJobs(n: number, epochs: number, seed = 1): SimJob[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, j) => {
    const losses = Array.from({ length: epochs }, (_, e) => 1 / (e + 1) + rng.random() * 0.01);
    const dice = Array.from({ length: epochs }, (_, e) => 0.5 + 0.1 * e + rng.random() * 0.01);
    const fail = j === 1;
    const model = Buffer.alloc(4096 + j);
    for (let i = 0; i < model.length; i++) model[i] = (i * 31 + j * 7) & 0xff;
    return {
      name: `W${j % 2}_1_J${j}`,
      lr: 1e-4 * (j + 1),
      flip: j % 2,
      fail,
      losses,
      dice: fail ? dice.slice(0, 1) : dice,
      score: fail ? -1000000 : Math.max(...dice),
      model,
    };
  });
}

/** Runs `jobs` (or jobs[from..to)) through the handler's events. */
export async function runJobs(h: Handler, ctx: Context, jobs: SimJob[], onEpoch?: (job: SimJob, epoch: number) => Promise<void>): Promise<void> {
  for (const job of jobs) {
    const root = join(ctx.RUN_ROOT, job.name);
    mkdirSync(join(root, 'config'), { recursive: true });
    mkdirSync(join(root, 'models'), { recursive: true });
    writeFileSync(join(root, 'config', 'config_train.json'), JSON.stringify({ learning_rate: job.lr, epochs: job.losses.length }, null, 2));
    const values = { 'lr.float.learning_rate': job.lr, 'transform.enum.train.pre_transforms$3:prob': job.flip };
    const rec = { id: Number(job.name.split('J')[1]), values };
    const jctx: Context = { ...ctx, JOB_NAME: job.name, JOB_MMAR_ROOT: root, CONCRETE_SEARCH_VALUE: values, WORKER: { id: 0, gpus: [] }, SEARCH_SPACE: SPACE };
    await h.startJob?.(jctx);
    // the job says which backend it trains on (automl itself loads no engine)
    await h.jobProgress?.(jctx, { type: 'train_start', epoch: 0, time: 1_700_000_000_000, info: { backend: 'tfjs-node (cpu)', epochs: job.losses.length } });
    const log: string[] = [];
    const n = job.fail ? 1 : job.losses.length;
    for (let e = 1; e <= n; e++) {
      const t = 1_700_000_000_000 + e * 1000;
      await h.jobProgress?.(jctx, {
        type: 'epoch_end',
        epoch: e,
        time: t,
        metrics: { train_loss: job.losses[e - 1], lr: job.lr, epoch_time: 1.5, samples_per_s: 12.5 },
      });
      await h.jobProgress?.(jctx, { type: 'validation_end', epoch: e, time: t + 1, metrics: { val_mean_dice: job.dice[e - 1] } });
      log.push(`epoch ${e} loss ${job.losses[e - 1]}`);
      if (onEpoch) await onEpoch(job, e);
    }
    writeFileSync(join(root, 'log.txt'), log.join('\n') + '\n');
    if (!job.fail) writeFileSync(join(root, 'models', 'model.ckpt'), job.model);
    const outcome: Outcome = {
      recommendation: rec,
      jobName: job.name,
      score: job.score,
      status: job.fail ? 'FAILED' : 'FINISHED',
      error: job.fail ? 'out of memory' : undefined,
    };
    await h.endJob?.({ ...jctx, SCORE: job.score, JOB_STATUS: outcome.status, OUTCOME: outcome });
  }
}

/** Checks, through the REST API, that the search landed complete and exactly once. */
export async function assertSearchOnServer(uri: string, experiment: string, jobs: SimJob[], opts: { runId?: string } = {}): Promise<void> {
  const exp = (await api(uri, `experiments/get-by-name?experiment_name=${encodeURIComponent(experiment)}`)).experiment;
  const runs: any[] = (await api(uri, 'runs/search', { experiment_ids: [exp.experiment_id], max_results: 1000 })).runs ?? [];
  const tags = (r: any) => Object.fromEntries((r.data.tags ?? []).map((t: any) => [t.key, t.value]));
  const params = (r: any) => Object.fromEntries((r.data.params ?? []).map((t: any) => [t.key, t.value]));
  const parents = runs.filter((r) => !tags(r)['mlflow.parentRunId']);
  assert.equal(parents.length, 1, 'one parent run');
  const parent = parents[0];
  assert.equal(parent.info.run_name, `automl_${opts.runId ?? 'run_1'}`);
  assert.equal(parent.info.status, 'FINISHED');
  assert.equal(params(parent).controller, 'random');
  assert.equal(params(parent).controller_args, '{"max_rounds":2,"seed":7}');
  assert.equal(tags(parent)['clara.backend'], 'tfjs-node (cpu)');
  const children = runs.filter((r) => tags(r)['mlflow.parentRunId'] === parent.info.run_id);
  assert.equal(children.length, jobs.length, 'one child run per job, none twice');
  assert.equal(runs.length, jobs.length + 1);
  const hist = async (runId: string, key: string) =>
    ((await api(uri, `metrics/get-history?run_id=${runId}&metric_key=${key}`)).metrics ?? [])
      .map((m: any) => [Number(m.step), Number(m.value)])
      .sort((a: number[], b: number[]) => a[0] - b[0]);
  let best = -Infinity;
  const bestHistory: number[][] = [];
  for (const [i, job] of jobs.entries()) {
    const r = children.find((c) => c.info.run_name === job.name);
    assert.ok(r, `child run ${job.name}`);
    assert.equal(r.info.status, job.fail ? 'FAILED' : 'FINISHED');
    assert.equal(tags(r)['clara.backend'], 'tfjs-node (cpu)', "from the job's train_start event");
    assert.deepEqual(params(r), {
      learning_rate: String(job.lr),
      flipProb: job.flip ? '0.5' : '0.1',
      'train.pre_transforms.3.disabled': job.flip ? 'true' : 'false',
    });
    const n = job.fail ? 1 : job.losses.length;
    assert.deepEqual(
      await hist(r.info.run_id, 'train_loss'),
      job.losses.slice(0, n).map((v, e) => [e + 1, v]),
    );
    assert.deepEqual(
      await hist(r.info.run_id, 'val_mean_dice'),
      job.dice.slice(0, n).map((v, e) => [e + 1, v]),
    );
    for (const k of ['lr', 'epoch_time', 'samples_per_s']) assert.equal((await hist(r.info.run_id, k)).length, n, k);
    assert.deepEqual(await hist(r.info.run_id, 'score'), [[i + 1, job.score]]);
    const art = `${uri}/api/2.0/mlflow-artifacts/artifacts/${r.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '')}`;
    const cfg = await fetch(`${art}/config/config_train.json`);
    assert.equal(cfg.status, 200);
    assert.deepEqual(JSON.parse(await cfg.text()), { learning_rate: job.lr, epochs: job.losses.length });
    assert.equal((await fetch(`${art}/log.txt`)).status, 200);
    if (!job.fail) {
      const m = Buffer.from(await (await fetch(`${art}/models/model.ckpt`)).arrayBuffer());
      assert.ok(m.equals(job.model), 'model downloads byte-equal');
    }
    if (job.score > best) {
      best = job.score;
      bestHistory.push([i + 1, job.score]);
    }
  }
  assert.deepEqual(await hist(parent.info.run_id, 'best_score'), bestHistory);
  const lb = await fetch(`${uri}/api/2.0/mlflow-artifacts/artifacts/${parent.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '')}/leaderboard.json`);
  assert.equal(lb.status, 200);
  const board = (await lb.json()) as { job: string; rank: number }[];
  assert.equal(board.length, jobs.length);
  assert.equal(board[0].job, jobs.reduce((a, b) => (b.score > a.score ? b : a)).name);
}
