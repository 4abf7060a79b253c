// ASHA on SlurmExecutor, against a REAL one-node Slurm (jobs: the fake train, which takes
// train's --epochs / --stop-after-epoch / --resume): every rung is a Slurm job; a promotion
// is submitted in its configuration's folder with --resume (its own batch script and events
// file, so that it follows only its own rung) and continues from the earlier rung's
// checkpoint. The search is killed (-9) while a promotion runs on Slurm; --resume
// re-attaches to that Slurm job instead of submitting it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import { automlConfig, makeMmar, trainConfig } from '../automl/fixtures/mmar.js';
import { slurmSuite } from '../helpers/slurm-suite.js';

const { skip, cluster, cli } = slurmSuite({ gpus: 2, cpus: 4 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
type Of<T extends JournalEntry['type']> = Extract<JournalEntry, { type: T }>;
const only = <T extends JournalEntry['type']>(j: JournalEntry[], t: T) => j.filter((e): e is Of<T> => e.type === t);

test(
  'ASHA on Slurm: promotions continue from their checkpoints as Slurm jobs; kill -9 and --resume re-attach a running promotion',
  { skip, timeout: 300_000 },
  async () => {
    const base = automlConfig({ controller: { name: 'RandomController', args: { max_trials: 4, seed: 11 } } });
    const ex = base.executor as { args: Record<string, unknown> };
    const mmar = makeMmar({
      train: trainConfig({ epochs: 4, fake_epoch_ms: 3000 }),
      automl: {
        ...base,
        executor: { name: 'SlurmExecutor', args: { command: ex.args.command, poll_s: 0.2 } },
        scheduler: { name: 'ASHA', args: { min_epochs: 1, reduction_factor: 2 } },
      },
    });
    const run = join(mmar, 'automl', 'as');
    const jf = join(run, 'journal.jsonl');
    const args = ['automl', '-m', mmar, '--set', 'run_id=as', 'trainconf=trn_automl.json', 'workers=slurm:2'];
    const first = cli(args);
    let exited = false;
    void first.done.then(() => {
      exited = true;
    });
    // Kill the search once the last rung's promotion (epochs 3 and 4) has started on Slurm.
    let target: Of<'job_submitted'> | undefined;
    for (let t = 0; t < 1500 && !exited && !target; t++) {
      await sleep(100);
      if (!existsSync(jf)) continue;
      for (const s of only(Journal.read(jf), 'job_submitted').filter((x) => /_R2$/.test(x.job))) {
        const ev = join(run, s.job.replace(/_R\d+$/, ''), `events_${s.job}.jsonl`);
        if (existsSync(ev) && readFileSync(ev, 'utf8').includes('"train_start"')) target = s;
      }
    }
    assert.ok(target, `a promotion ran on Slurm before the search ended: ${exited ? (await first.done).err.slice(-3000) : ''}`);
    first.child.kill('SIGKILL');
    await first.done;
    assert.equal(cluster().cmd('squeue', ['-h', '-j', target.schedulerId, '-o', '%T']).out.trim(), 'RUNNING', 'the promotion still runs on Slurm');

    const r = await cli([...args, '--resume']).done;
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`resume: ${target.job} \\(the promotion of \\S+ to \\d+ epochs\\) is re-attached to its cluster job ${target.schedulerId}`));
    const j = Journal.read(jf);
    assert.deepEqual(
      only(j, 'job_submitted')
        .filter((s) => s.job === target!.job)
        .map((s) => s.schedulerId),
      [target.schedulerId, target.schedulerId],
      'journalled again on re-attach, never submitted twice',
    );
    const outs = only(j, 'job_end').map((e) => e.outcome);
    for (const o of outs) assert.equal(o.status, 'FINISHED', `${o.jobName}: ${o.error}`);
    const promoted = outs.filter((o) => o.rung?.promoted);
    assert.ok(promoted.length >= 2, 'promotions ran');
    assert.ok(
      promoted.some((o) => o.rung!.epochs === 4),
      'a configuration reached the full budget',
    );
    for (const p of promoted) {
      const dir = join(run, p.rung!.folder);
      // its own batch script: continues with --resume to the rung's epochs, over the whole budget's schedule
      const script = readFileSync(join(dir, `slurm_job_${p.jobName}.sh`), 'utf8');
      assert.match(script, new RegExp(` --resume --epochs 4${p.rung!.epochs < 4 ? ` --stop-after-epoch ${p.rung!.epochs}` : ''}\\n`));
      assert.doesNotMatch(script, /--resume-if-checkpoint/);
      // its own rung's epochs only (the events of its own file)
      const prev = p.rung!.index === 1 ? 1 : 2;
      assert.deepEqual(
        p.history?.map((h) => h.epoch),
        Array.from({ length: p.rung!.epochs - prev }, (_, i) => prev + i + 1),
        `${p.jobName}: the epochs of its rung`,
      );
    }
    // the configuration that reached 4 epochs trained each epoch once, in one folder, over three Slurm jobs
    const top = promoted.find((o) => o.rung!.epochs === 4)!;
    const stats = readJson(join(run, top.rung!.folder, 'models', 'train_stats.json'));
    assert.equal(stats.epochs_completed, 4);
    assert.equal(stats.train_loss.length, 4);
    const firstScript = readFileSync(join(run, top.rung!.folder, 'slurm_job.sh'), 'utf8');
    assert.match(firstScript, / --epochs 4 --stop-after-epoch 1 --resume-if-checkpoint\n/);
    rmSync(mmar, { recursive: true, force: true });
  },
);
