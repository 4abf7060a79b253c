// End to end: the synthetic example searched by the REAL `clara-train automl` with REAL
// `clara-train train` jobs under the ASHA scheduler (rungs 2, 4, 8 epochs, η = 2), two CPU
// workers, an initial recommendation, kill -9 of the search while a promoted job trains,
// then --resume. Checks: promoted jobs continue from their configuration's checkpoint
// (their first validation is after the earlier rung's epoch, their train_start says so,
// the folder's train_stats has every epoch once, the lr schedule runs over 8 epochs);
// resume reruns neither finished jobs nor decisions, and reruns the interrupted promotion
// from its checkpoint; rung tags reach the MLflow file store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import type { Outcome } from '../../src/automl/types.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';
import { shrinkSyntheticSearch } from '../helpers/synthetic-search.js';
import { spawnCli as cli } from '../helpers/spawn-cli.js';

const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readJson = <T = any>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;

const ends = (es: JournalEntry[]) => es.filter((e): e is Extract<JournalEntry, { type: 'job_end' }> => e.type === 'job_end');
const starts = (es: JournalEntry[]) => es.filter((e): e is Extract<JournalEntry, { type: 'job_start' }> => e.type === 'job_start');
const promotions = (es: JournalEntry[]) => es.filter((e): e is Extract<JournalEntry, { type: 'promotion' }> => e.type === 'promotion');

test(
  'ASHA on the synthetic example: promoted jobs continue from their checkpoints; kill -9 and --resume replay the decisions',
  { timeout: 600_000 },
  async (t) => {
    const tmp = mkdtempSync(join(tmpdir(), 'clara-asha-'));
    t.after(() => {
      if (!process.env.KEEP_E2E) rmSync(tmp, { recursive: true, force: true });
      else console.log(`kept ${tmp}`);
    });
    const mmar = join(tmp, 'mmar');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CLARA_TRAIN_COMMAND: JSON.stringify([process.execPath, '--import', TSX, ENTRY, 'train', '-m', '{mmar}', '-q']),
    };
    for (const k of ['MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_NAME', 'CLARA_JOB_NAME']) delete env[k];

    const init = await cli(['init', '--example', 'synthetic', mmar, '--train-cases', '4', '--val-cases', '2', '--size', '24'], tmp, env).done;
    assert.equal(init.code, 0, init.err);
    shrinkSyntheticSearch(mmar, { epochs: 8, rounds: 2, seed: 3 });
    const tf = join(mmar, 'config', 'config_train.json');
    const train = readJson(tf);
    // A schedule that changes every epoch over the whole budget: a restart or a shorter schedule shows in the lr.
    train.train.lr_scheduler = { name: 'StepLR', args: { optimizer: '@optimizer', step_size: 1, gamma: 0.8 } };
    writeFileSync(tf, JSON.stringify(train, null, 2));
    const af = join(mmar, 'config', 'config_automl.json');
    const automl = readJson(af);
    automl.controller = { name: 'RandomController', args: { max_trials: 4, seed: 3 } };
    automl.scheduler = { name: 'ASHA', args: { min_epochs: 2, reduction_factor: 2 } };
    automl.initial_recommendations = [{ learning_rate: 0.005, disableDiceLoss: false, disableFocalLoss: true, use_amp: false }];
    writeFileSync(af, JSON.stringify(automl, null, 2));

    const args = ['automl', '-m', mmar, '--set', 'run_id=asha', 'workers=cpu:cpu'];
    const runRoot = join(mmar, 'automl', 'asha');
    const journalFile = join(runRoot, 'journal.jsonl');
    const first = cli(args, tmp, env);
    let exited = false;
    void first.done.then(() => {
      exited = true;
    });
    // Kill once a promoted job has trained an epoch beyond its earlier rung (its last checkpoint moved on).
    let killedDuring: string | undefined;
    for (const deadline = Date.now() + 400_000; Date.now() < deadline && !exited && !killedDuring; ) {
      await sleep(150);
      const es = existsSync(journalFile) ? Journal.read(journalFile) : [];
      const ended = new Set(ends(es).map((e) => e.job));
      for (const p of promotions(es)) {
        if (ended.has(p.job) || !starts(es).some((s) => s.job === p.job)) continue;
        const folder = p.job.replace(/_R\d+$/, '');
        try {
          const last = readJson(join(runRoot, folder, 'models', 'last', 'model.json'));
          if (last.clara.state.epoch > (p.rung === 1 ? 2 : 4)) {
            first.child.kill('SIGKILL');
            killedDuring = p.job;
            break;
          }
        } catch {
          /* being written */
        }
      }
    }
    const r1 = await first.done;
    assert.ok(killedDuring, `the search ended before a promoted job could be killed mid-rung: ${r1.err.slice(-1500)}`);
    const before = Journal.read(journalFile);
    assert.ok(!before.some((e) => e.type === 'run_end'));
    const endedBefore = new Set(ends(before).map((e) => e.job));
    await sleep(3000); // the train children notice the parent's death and exit

    const second = cli([...args, '--resume'], tmp, env);
    const r2 = await second.done;
    assert.equal(r2.code, 0, r2.err.slice(-3000));
    assert.match(r2.err, new RegExp(`resume: ${killedDuring} .* continues from its checkpoint`));
    const all = Journal.read(journalFile);
    const after = all.slice(before.length);

    // Resume replayed the decisions: no finished job started again, no decision taken twice.
    for (const s of starts(after)) assert.ok(!endedBefore.has(s.job), `finished job ${s.job} was started again`);
    const decided = promotions(all).map((p) => p.job);
    assert.equal(new Set(decided).size, decided.length, `a promotion was decided twice: ${decided}`);
    assert.ok(
      starts(after).some((s) => s.job === killedDuring),
      'the interrupted promotion was not rerun',
    );

    // The first job of the initial recommendation ran first, with its values.
    const outcomes = ends(all).map((e) => e.outcome);
    const seed = outcomes.find((o) => o.recommendation.id === 0)!;
    assert.ok(Math.abs(Number(seed.recommendation.values['lr.float.$0:learning_rate']) - 0.005) < 1e-12);
    assert.equal(new Set(outcomes.map((o) => o.recommendation.id)).size, 5, 'five configurations');

    // Promoted jobs continued from the configuration's checkpoint.
    const promoted = outcomes.filter((o): o is Outcome & { rung: NonNullable<Outcome['rung']> } => Boolean(o.rung?.promoted));
    assert.ok(promoted.length >= 2, `only ${promoted.length} promoted job(s)`);
    const rungs = [2, 4, 8];
    for (const o of promoted) {
      assert.equal(o.status, 'FINISHED', `${o.jobName}: ${o.error}`);
      const earlier = rungs[o.rung.index - 1];
      assert.ok(o.history && o.history.length > 0, `${o.jobName} has no validation history`);
      assert.ok(o.history[0].epoch > earlier, `${o.jobName} validated epoch ${o.history[0].epoch}: it restarted instead of continuing after epoch ${earlier}`);
      assert.equal(o.history[o.history.length - 1].epoch, o.rung.epochs);
    }
    const top = promoted.find((o) => o.rung.epochs === 8);
    assert.ok(top, 'no configuration reached max_epochs');
    const stats = readJson<TrainStats>(join(runRoot, top.rung.folder, 'models', 'train_stats.json'));
    assert.equal(stats.epochs_completed, 8);
    assert.deepEqual(
      stats.val_metrics.map((v) => v.epoch),
      [1, 2, 3, 4, 5, 6, 7, 8],
      'every epoch validated once, in order',
    );
    const lr0 = stats.lr[0];
    stats.lr.forEach((lr, i) =>
      assert.ok(Math.abs(lr - lr0 * 0.8 ** i) < 1e-9 * lr0, `epoch ${i + 1}: lr ${lr}, expected ${lr0 * 0.8 ** i} (StepLR over the 8-epoch budget)`),
    );
    assert.equal(top.score, stats.best_key_metric);

    // MLflow (./mlruns in the cwd): the rung tags of a promoted job.
    const tagged: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d, { withFileTypes: true })) {
        if (f.isDirectory()) walk(join(d, f.name));
        else if (f.name === 'clara.rung') tagged.push(d);
      }
    };
    walk(join(tmp, 'mlruns'));
    assert.ok(
      tagged.some((d) => readFileSync(join(d, 'clara.promoted'), 'utf8') === 'true'),
      'no MLflow run tagged as a promoted rung',
    );
  },
);
