// Cross-validated search (num_folds 3) on the SlurmExecutor against a REAL one-node Slurm
// cluster (test/helpers/slurm-cluster.ts): every fold is its own Slurm job (journalled ids,
// its own events file and log), folds of a configuration run in order so that the Wilcoxon
// pruner decides between them (a clearly bad configuration is dropped after 2 folds: its third
// fold is never submitted), MLflow has a nested run per fold, and a kill -9 of the AutoML
// process followed by --resume keeps the finished folds and re-attaches to the running fold's
// Slurm job instead of submitting it again. Jobs run the AutoML tests' stand-in trainer
// (test/automl/fixtures/fake-train.mjs: `--set fold=f num_folds=k`, per-case metrics); the
// real trainer's folds are covered locally by test/integration/cv-search.test.ts.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import { automlConfig, makeMmar, trainConfig } from '../automl/fixtures/mmar.js';
import type { SlurmTestCluster } from '../helpers/slurm-cluster.js';
import { slurmSuite } from '../helpers/slurm-suite.js';
import { mlrunsRuns } from '../helpers/cv-example.js';

const { skip, cluster: clusterOf, cli } = slurmSuite({ gpus: 2, cpus: 4 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cluster: SlurmTestCluster;
before(() => {
  if (!skip) cluster = clusterOf();
});

/** Configurations in order of `lrs` (1e-3 is the fake trainer's best, 1e-5 clearly worse). */
function cvMmar(epochMs: number, lrs: number[]): string {
  const base = automlConfig({ controller: { name: 'GridController', args: { max_rounds: 1, max_jobs_per_round: 2 } } });
  const ex = base.executor as { args: Record<string, unknown> };
  return makeMmar({
    train: {
      ...trainConfig({ epochs: 2, fake_epoch_ms: epochMs }),
      train: { loss: [{ name: 'DiceLoss', args: {} }] },
      search: [{ domain: 'lr', type: 'enum', args: ['learning_rate'], targets: lrs.map((x) => [x]) }],
    },
    automl: {
      ...base,
      num_folds: 3,
      handlers: [...(base.handlers as unknown[]), { name: 'MLflowHandler', args: { experiment_name: 'cv_slurm' } }],
      executor: { name: 'SlurmExecutor', args: { command: ex.args.command, partition: cluster.partition, cpus_per_task: 1, poll_s: 0.2 } },
    },
  });
}

const ends = (j: JournalEntry[]) => j.filter((e): e is Extract<JournalEntry, { type: 'job_end' }> => e.type === 'job_end');
const submits = (j: JournalEntry[]) => j.filter((e): e is Extract<JournalEntry, { type: 'job_submitted' }> => e.type === 'job_submitted');

test(
  'a 3-fold search on Slurm: one Slurm job per fold, the bad configuration pruned after 2 folds, a nested MLflow run per fold',
  { skip, timeout: 180_000 },
  async () => {
    const mmar = cvMmar(50, [1e-3, 1e-5]);
    const r = await cli(['automl', '-m', mmar, '--set', 'run_id=cv', 'trainconf=trn_automl.json', 'workers=slurm:1'], mmar).done;
    assert.equal(r.code, 0, r.err.slice(-3000));
    const run = join(mmar, 'automl', 'cv');
    const j = Journal.read(join(run, 'journal.jsonl'));
    const [good, bad] = ends(j).map((e) => e.outcome);
    assert.equal(good.status, 'FINISHED', good.error);
    assert.deepEqual(
      good.folds!.map((f) => f.status),
      ['FINISHED', 'FINISHED', 'FINISHED'],
    );
    assert.equal(Object.keys(good.perCase!).length, 6);
    assert.equal(bad.status, 'PRUNED', JSON.stringify(bad));
    assert.deepEqual(
      bad.folds!.map((f) => f.fold),
      [0, 1],
      'pruned after its second fold',
    );
    assert.match(r.err, new RegExp(`pruning ${bad.jobName} after fold 2/3: worse than ${good.jobName} on 4 paired case\\(s\\)`));
    assert.ok(!existsSync(join(run, bad.jobName, 'cv_fold2')), 'the pruned fold never ran');
    // one Slurm job per fold run, each with its own id, log and events
    const subs = submits(j);
    assert.equal(subs.filter((s) => s.job === good.jobName).length, 3);
    assert.equal(subs.filter((s) => s.job === bad.jobName).length, 2);
    assert.equal(new Set(subs.map((s) => s.schedulerId)).size, 5);
    for (const [o, n] of [
      [good, 3],
      [bad, 2],
    ] as const) {
      for (let f = 0; f < n; f++) {
        const dir = join(run, o.jobName, `cv_fold${f}`);
        const id = subs.filter((s) => s.job === o.jobName)[f].schedulerId;
        assert.match(readFileSync(join(dir, 'log.txt'), 'utf8'), new RegExp(`slurm job ${id} `), `fold ${f} ran as Slurm job ${id}`);
        assert.match(readFileSync(join(dir, 'slurm_job.sh'), 'utf8'), new RegExp(`--set fold=${f} num_folds=3`));
        assert.ok(readFileSync(join(dir, 'events.jsonl'), 'utf8').includes('"validation_end"'));
      }
    }
    // MLflow (./mlruns): a run per configuration, a nested run per fold that ran
    const runs: Record<string, string>[] = mlrunsRuns(mmar).map((x) => ({ id: x.id, ...x.tags }));
    const jobRun = (n: string) => runs.find((x) => x['clara.kind'] === 'job' && x['clara.job_name'] === n)!;
    for (const [o, n] of [
      [good, 3],
      [bad, 2],
    ] as const) {
      const folds = runs.filter((x) => x['clara.kind'] === 'fold' && x['clara.job_name'] === o.jobName);
      assert.equal(folds.length, n, `${o.jobName}: ${n} fold runs`);
      for (const f of folds) assert.equal(f['mlflow.parentRunId'], jobRun(o.jobName).id);
    }
    rmSync(mmar, { recursive: true, force: true });
  },
);

test('kill -9 during a fold on Slurm; --resume keeps the finished folds and re-attaches to the running one', { skip, timeout: 180_000 }, async () => {
  const mmar = cvMmar(4000, [1e-3]); // 8 s a fold: the resume comes while fold 2 still runs
  const args = ['automl', '-m', mmar, '--set', 'run_id=rk', 'trainconf=trn_automl.json', 'workers=slurm:1'];
  const jf = join(mmar, 'automl', 'rk', 'journal.jsonl');
  const first = cli(args, mmar);
  let j: JournalEntry[] = [];
  for (let t = 0; t < 1200 && submits(j).length < 2; t++) {
    await sleep(100);
    j = existsSync(jf) ? Journal.read(jf) : [];
  }
  first.child.kill('SIGKILL');
  assert.equal((await first.done).signal, 'SIGKILL');
  j = Journal.read(jf);
  const subs = submits(j);
  assert.equal(subs.length, 2, 'killed while the first configuration ran its second fold');
  assert.equal(ends(j).length, 0);
  const [fold0, fold1] = subs;
  const r2 = await cli([...args, '--resume'], mmar).done;
  assert.equal(r2.code, 0, r2.err.slice(-3000));
  assert.match(r2.err, /1 cluster job\(s\) re-attached/);
  assert.match(r2.err, new RegExp(`${fold0.job} fold 1/3 had finished before the resume: kept`));
  assert.match(r2.err, new RegExp(`${fold1.job}: re-attached to job ${fold1.schedulerId}`));
  const all = Journal.read(jf);
  const job = ends(all).find((e) => e.job === fold0.job)!.outcome;
  assert.equal(job.status, 'FINISHED', job.error);
  assert.deepEqual(
    job.folds!.map((f) => f.status),
    ['FINISHED', 'FINISHED', 'FINISHED'],
  );
  assert.equal(Object.keys(job.perCase!).length, 6, "the kept fold's cases are paired too");
  // fold 0 was not run again; fold 1 kept its Slurm id; only fold 2 was new for this configuration
  const ids = submits(all)
    .filter((s) => s.job === fold0.job)
    .map((s) => s.schedulerId);
  assert.equal(new Set(ids).size, 3, `Slurm ids of ${fold0.job}: ${ids}`);
  // MLflow: the resumed attempt's run of the configuration has its 3 folds (the kept one from its recorded events)
  const runs = mlrunsRuns(mmar).filter((x) => !x.deleted);
  const jobRun = runs.find((x) => x.tags['clara.kind'] === 'job' && x.tags['clara.job_name'] === fold0.job)!;
  const folds = runs.filter((x) => x.tags['clara.kind'] === 'fold' && x.tags['mlflow.parentRunId'] === jobRun.id);
  assert.deepEqual(folds.map((x) => x.tags['clara.fold']).sort(), ['0', '1', '2']);
  assert.ok(
    folds.every((x) => x.metrics.includes('val_mean_dice')),
    'every fold run has its epochs',
  );
  rmSync(mmar, { recursive: true, force: true });
});

test(
  "a fold that runs out of memory on Slurm (a real allocation failure under the node's ulimit -v) is retried at a halved batch; the next fold starts there",
  { skip, timeout: 180_000 },
  async () => {
    // the fake train holds 100 MiB per batch element: at batch 8 Node's allocation fails under
    // `ulimit -v 1200000` (node_env, as a site's module lines), at batch 4 it fits
    const base = automlConfig({ controller: { name: 'RandomController', args: { max_trials: 1, seed: 2 } } });
    const ex = base.executor as { args: Record<string, unknown> };
    const train = trainConfig({ epochs: 1, fake_epoch_ms: 300, fake_mb_per_batch: 100 }) as { train: Record<string, unknown> };
    train.train = { ...train.train, dataloader: { args: { batch_size: 8 } } };
    const mmar = makeMmar({
      train,
      automl: {
        ...base,
        num_folds: 2,
        cv_pruner: null,
        max_failures: 2,
        executor: { name: 'SlurmExecutor', args: { command: ex.args.command, cpus_per_task: 1, poll_s: 0.2, node_env: ['ulimit -v 1200000'] } },
      },
    });
    const r = await cli(['automl', '-m', mmar, '--set', 'run_id=oom', 'trainconf=trn_automl.json', 'workers=slurm:1'], mmar).done;
    assert.equal(r.code, 0, r.err.slice(-3000));
    const j = Journal.read(join(mmar, 'automl', 'oom', 'journal.jsonl'));
    const [o] = ends(j).map((e) => e.outcome);
    assert.equal(o.status, 'FINISHED', o.error);
    assert.deepEqual(o.fidelity, { batchSize: 4 });
    assert.deepEqual(
      o.attempts?.map((a) => [a.fold, a.attempt, a.status, a.failure?.kind]),
      [
        [0, 1, 'FAILED', 'out_of_memory'],
        [0, 2, 'FINISHED', undefined],
      ],
    );
    assert.match(o.attempts![0].failure!.evidence ?? '', /Array buffer allocation failed/);
    assert.match(
      r.err,
      new RegExp(`${o.jobName} fold 1/2 ran out of memory \\(.*Array buffer allocation failed.*\\); retry 1 of 2 at a lower fidelity: batch 8 → 4`),
    );
    // three Slurm jobs: fold 0 twice (the retry in a fresh fold folder), fold 1 once at batch 4
    assert.equal(new Set(submits(j).map((s) => s.schedulerId)).size, 3);
    for (const f of [0, 1])
      assert.equal(
        JSON.parse(readFileSync(join(mmar, 'automl', 'oom', o.jobName, `cv_fold${f}`, 'config', 'config_train.json'), 'utf8')).train.dataloader.args.batch_size,
        4,
      );
    rmSync(mmar, { recursive: true, force: true });
  },
);
