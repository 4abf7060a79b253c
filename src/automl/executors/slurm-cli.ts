// The Slurm CLI of a login node: sbatch --parsable to submit, one squeue call per poll
// for every job of the search, scancel to stop. Commands time out instead of hanging when
// slurmctld does not answer; the executor retries on its next poll.
import { execFile } from 'node:child_process';
import { decodeWaitStatus, type SlurmClient, type SlurmJobInfo, type SlurmSubmission } from './slurm-client.js';

export interface SlurmCliOptions {
  /** Environment for the commands (SLURM_CONF ...); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Seconds before a command is given up (default 60). */
  timeoutS?: number;
}

interface Ran {
  code: number;
  out: string;
  err: string;
}

export class SlurmCli implements SlurmClient {
  readonly kind = 'cli';
  constructor(private readonly o: SlurmCliOptions = {}) {}

  private run(cmd: string, args: string[]): Promise<Ran> {
    return new Promise((res) => {
      execFile(
        cmd,
        args,
        { env: this.o.env ?? process.env, timeout: (this.o.timeoutS ?? 60) * 1000, maxBuffer: 64 << 20, encoding: 'utf8' },
        (err, out, errText) => {
          const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
          const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
          res({ code, out: out ?? '', err: (errText || (e && typeof e.code !== 'number' ? e.message : '') || '').trim() });
        },
      );
    });
  }

  /** sbatch options for a submission (also what the README shows). */
  static sbatchArgs(s: SlurmSubmission): string[] {
    const a = ['--parsable', `--job-name=${s.jobName}`, `--chdir=${s.workdir}`, `--output=${s.output}`, '--open-mode=append', '--requeue', '--export=ALL'];
    if (s.partition) a.push(`--partition=${s.partition}`);
    if (s.gres) a.push(`--gres=${s.gres}`);
    if (s.cpusPerTask) a.push(`--cpus-per-task=${s.cpusPerTask}`);
    if (s.mem) a.push(`--mem=${s.mem}`);
    if (s.time) a.push(`--time=${s.time}`);
    if (s.account) a.push(`--account=${s.account}`);
    if (s.qos) a.push(`--qos=${s.qos}`);
    return [...a, ...(s.sbatchArgs ?? []), s.scriptFile];
  }

  async submit(s: SlurmSubmission): Promise<string> {
    // The job's own variables travel in the environment sbatch exports (--export=ALL).
    const r = await new Promise<Ran>((res) => {
      execFile(
        'sbatch',
        SlurmCli.sbatchArgs(s),
        { env: { ...(this.o.env ?? process.env), ...s.env }, timeout: (this.o.timeoutS ?? 60) * 1000, encoding: 'utf8' },
        (err, out, errText) => {
          const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
          res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, out: out ?? '', err: (errText || (e ? e.message : '')).trim() });
        },
      );
    });
    const id = r.out.trim().split(';')[0];
    if (r.code !== 0 || !/^\d+$/.test(id)) throw new Error(`sbatch failed (exit ${r.code}): ${r.err || r.out.trim() || 'no output'}`);
    return id;
  }

  async query(ids: string[]): Promise<Map<string, SlurmJobInfo>> {
    const out = new Map<string, SlurmJobInfo>();
    if (ids.length === 0) return out;
    const r = await this.run('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '--Format=JobID:|,State:|,Reason:|,exit_code:']);
    if (r.code !== 0) {
      // Every id forgotten by slurmctld (MinJobAge): sacct -c (jobcomp) still knows ended jobs.
      if (!/Invalid job id/i.test(r.err)) throw new Error(`squeue failed (exit ${r.code}): ${r.err}`);
    } else {
      for (const line of r.out.split('\n')) {
        const [id, state, reason, raw] = line.split('|').map((x) => x.trim());
        if (!id || !state) continue;
        const info: SlurmJobInfo = { id, state, ...(reason && reason !== 'None' ? { reason } : {}) };
        if (raw && /^\d+$/.test(raw)) Object.assign(info, decodeWaitStatus(Number(raw)));
        out.set(id, info);
      }
    }
    const missing = ids.filter((i) => !out.has(i));
    if (missing.length) for (const [id, info] of await this.sacct(missing)) out.set(id, info);
    return out;
  }

  /** Ended jobs from the job completion log (works without slurmdbd). */
  private async sacct(ids: string[]): Promise<Map<string, SlurmJobInfo>> {
    const out = new Map<string, SlurmJobInfo>();
    const r = await this.run('sacct', ['-c', '-j', ids.join(','), '-P', '-n', '--format=JobID,State,ExitCode']);
    if (r.code !== 0) return out; // no completion log: those jobs count as lost
    for (const line of r.out.split('\n')) {
      const [id, state, ec] = line.split('|').map((x) => x.trim());
      if (!id || !state || !ids.includes(id)) continue;
      const [code, sig] = (ec ?? '').split(':').map(Number);
      // The completion log keeps every run of a requeued job: the last line wins.
      out.set(id, { id, state, ...(Number.isFinite(code) ? { exitCode: code } : {}), ...(Number.isFinite(sig) ? { signal: sig } : {}) });
    }
    return out;
  }

  async cancel(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const r = await this.run('scancel', ids);
    if (r.code !== 0 && !/Invalid job id|already completing or completed/i.test(r.err)) throw new Error(`scancel failed (exit ${r.code}): ${r.err}`);
  }
}
