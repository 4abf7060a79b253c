// What a Slurm job costs the AutoML search, on a real one-node Slurm (test/helpers/slurm-cluster.ts):
//  - sbatch call time (the executor waits for it once per job)
//  - submit-to-start latency: from the sbatch call to the batch script's first line on the node
//  - one squeue poll for 1 and for `jobs` ids (the executor polls once per interval for the whole search)
//  - per-job wall time of searches of trivial jobs (the stand-in trainer, 1 epoch of 20 ms) through
//    `clara-train automl` with SlurmExecutor, 2 and 8 at a time on 8 fake GPUs, poll_s 0.5: the
//    executor's overhead per job
// Usage: npm run bench -- slurm [jobs=20]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCli } from '../src/automl/executors/slurm-cli.js';
import { runAutoML } from '../src/automl/run.js';
import { automlConfig, makeMmar, trainConfig } from '../test/automl/fixtures/mmar.js';
import { SlurmTestCluster, slurmAvailable } from '../test/helpers/slurm-cluster.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';

const nJobs = Number(process.argv[2] ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function main(): Promise<void> {
  const why = slurmAvailable();
  if (why) throw new Error(`benchmark needs Slurm: ${why}`);
  const load0 = loadavg()[0];
  const cluster = new SlurmTestCluster({ gpus: 8, cpus: 16 });
  const t0 = Date.now();
  await cluster.start();
  const upS = (Date.now() - t0) / 1000;
  Object.assign(process.env, cluster.env);
  const cli = new SlurmCli();
  const dir = mkdtempSync(join(tmpdir(), 'clara-bench-slurm-'));
  try {
    const figures: Figure[] = [];
    // 1+2. One job at a time: sbatch time and submit-to-start latency (the job writes its start time in ns).
    const script = join(dir, 'job.sh');
    writeFileSync(script, '#!/bin/bash\ndate +%s%N > "$START_FILE"\n');
    const sbatchMs: number[] = [];
    const startMs: number[] = [];
    for (let i = 0; i < nJobs; i++) {
      const startFile = join(dir, `start-${i}`);
      const t = Date.now();
      const id = await cli.submit({
        script: '',
        scriptFile: script,
        jobName: `bench-${i}`,
        workdir: dir,
        output: join(dir, `out-${i}.txt`),
        env: { START_FILE: startFile },
      });
      sbatchMs.push(Date.now() - t);
      for (let k = 0; k < 600; k++) {
        let txt = '';
        try {
          txt = readFileSync(startFile, 'utf8').trim();
        } catch {
          /* not started */
        }
        if (txt) {
          startMs.push(Number(BigInt(txt) / 1_000_000n) - t);
          break;
        }
        await sleep(10);
      }
      for (let k = 0; k < 300 && (await cli.query([id])).get(id)?.state !== 'COMPLETED'; k++) await sleep(20);
    }
    figures.push({ name: 'sbatch call', value: median(sbatchMs), unit: 'ms', jobs: nJobs, p90: pct(sbatchMs, 0.9) });
    figures.push({ name: 'submit-to-start latency', value: median(startMs), unit: 'ms', jobs: nJobs, p90: pct(startMs, 0.9), max: Math.max(...startMs) });

    // 3. One poll of the search's jobs.
    const ids: string[] = [];
    for (let i = 0; i < nJobs; i++)
      ids.push(
        await cli.submit({
          script: '',
          scriptFile: script,
          jobName: `poll-${i}`,
          workdir: dir,
          output: join(dir, `p-${i}.txt`),
          env: { START_FILE: join(dir, `p-start-${i}`) },
        }),
      );
    for (const n of [1, nJobs]) {
      const ts: number[] = [];
      for (let r = 0; r < 10; r++) {
        const t = process.hrtime.bigint();
        await cli.query(ids.slice(0, n));
        ts.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      figures.push({ name: `one poll (squeue) of ${n} job(s)`, value: +median(ts).toFixed(1), unit: 'ms' });
    }

    // 4. Searches of trivial jobs through clara-train automl, 2 and 8 Slurm jobs at a time.
    for (const conc of [2, 8]) {
      const n = 2 * conc;
      const mmar = makeMmar({
        train: trainConfig({ epochs: 1, fake_epoch_ms: 20 }),
        automl: {
          ...automlConfig({ controller: { name: 'RandomController', args: { max_trials: n, max_jobs_per_round: conc, seed: 1 } } }),
          executor: {
            name: 'SlurmExecutor',
            args: { command: (automlConfig().executor as { args: { command: string[] } }).args.command, gres: 'gpu:1', poll_s: 0.5 },
          },
        },
      });
      const ts = Date.now();
      const res = await runAutoML({ mmarRoot: mmar, runId: 'bench', workers: `slurm:${conc}`, vars: { trainconf: 'trn_automl.json' }, seed: 1, log: () => {} });
      const wallS = (Date.now() - ts) / 1000;
      if (res.outcomes.filter((o) => o.status === 'FINISHED').length !== n)
        throw new Error(`search: ${res.outcomes.map((o) => `${o.jobName} ${o.status} ${o.error ?? ''}`).join('; ')}`);
      figures.push({
        name: `search of ${n} trivial jobs, ${conc} at a time: wall per job per slot`,
        value: +((wallS * conc) / n).toFixed(2),
        unit: 's',
        jobs: n,
        concurrent: conc,
        poll_s: 0.5,
        wall_s: +wallS.toFixed(1),
      });
      rmSync(mmar, { recursive: true, force: true });
    }

    printTable(figures.map((f) => ({ figure: f.name, value: f.value, unit: f.unit })));
    writeResults('slurm', figures, {
      slurm: '22.05 one-node (munged, slurmctld, slurmd on loopback; cons_tres CR_Core, batch_sched_delay=0, bf_interval=1)',
      clusterStartS: +upS.toFixed(2),
      loadavg: { start: +load0.toFixed(2), end: +loadavg()[0].toFixed(2) },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
