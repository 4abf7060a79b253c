// A real one-node Slurm cluster for tests: munged, slurmctld, slurmd (and slurmrestd for the
// REST path) started in a temporary folder on loopback, with their state, spool, logs and
// munge socket there and SLURM_CONF pointing at a generated slurm.conf; stopped by pid.
// Two fake GPUs (gres.conf File= symlinks to /dev/null) so that `--gres=gpu:1` jobs get
// their own CUDA_VISIBLE_DEVICES. Skips when Slurm is absent, but under CI=true a missing
// Slurm fails (as the MLflow fixture does).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './mlflow-server.js';

const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sacct'];
const SBIN = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...SBIN];
  return dirs.map((d) => join(d, bin)).find((p) => existsSync(p));
}

/** Why Slurm cannot run here, or null. */
export function slurmAvailable(opts: { rest?: boolean } = {}): string | null {
  const missing = [...BINARIES, ...(opts.rest ? ['slurmrestd'] : [])].filter((b) => !which(b));
  if (missing.length)
    return `Slurm is not installed (missing ${missing.join(', ')}; apt-get install slurm-wlm munge${opts.rest ? ' slurmrestd slurm-wlm-jwt-plugin' : ''})`;
  if (process.getuid?.() !== 0) return 'the test Slurm cluster runs its daemons as root';
  return null;
}

/** A reason to skip, or false to run; under CI=true a missing Slurm throws instead. */
export function skipUnlessSlurm(opts: { rest?: boolean } = {}): string | false {
  const why = slurmAvailable(opts);
  if (!why) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  return why;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SlurmClusterOptions {
  /** Fake GPUs on the node (default 2). */
  gpus?: number;
  /** CPUs the node offers (default 4; more than the machine has is allowed). */
  cpus?: number;
  /** Also start slurmrestd with JWT auth. */
  rest?: boolean;
}

export class SlurmTestCluster {
  readonly dir: string;
  readonly conf: string;
  readonly nodeName = 'clara-node1';
  readonly partition = 'debug';
  restUrl = '';
  private readonly procs: { name: string; proc: ChildProcess }[] = [];

  constructor(readonly opts: SlurmClusterOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'clara-slurm-'));
    this.conf = join(this.dir, 'slurm.conf');
  }

  /** Environment for Slurm clients (sbatch, squeue ...) and the executor. */
  get env(): Record<string, string> {
    return { SLURM_CONF: this.conf, PATH: `${process.env.PATH ?? ''}:${SBIN.join(':')}` };
  }

  private spawnDaemon(name: string, cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
    const log = openSync(join(this.dir, 'log', `${name}.out`), 'a');
    const proc = spawn(which(cmd) ?? cmd, args, { stdio: ['ignore', log, log], env: { ...process.env, ...this.env, ...env } });
    closeSync(log);
    this.procs.push({ name, proc });
    return proc;
  }

  private logTail(name: string): string {
    for (const f of [join(this.dir, 'log', `${name}.log`), join(this.dir, 'log', `${name}.out`)]) {
      if (existsSync(f)) return readFileSync(f, 'utf8').trim().split('\n').slice(-8).join('\n');
    }
    return '(no log)';
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const d = this.dir;
    for (const sub of ['munge', 'state', 'spool', 'log', 'gpu']) mkdirSync(join(d, sub), { recursive: true });
    chmodSync(join(d, 'munge'), 0o755);
    chmodSync(d, 0o755);
    // munge: a random key, a socket in the temp folder.
    const key = join(d, 'munge', 'munge.key');
    writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7919 + Date.now()) & 255)), { mode: 0o400 });
    const sock = join(d, 'munge', 'munge.socket');
    this.spawnDaemon('munged', 'munged', [
      '-F',
      '--force',
      '--key-file',
      key,
      '--socket',
      sock,
      '--pid-file',
      join(d, 'munge', 'munged.pid'),
      '--log-file',
      join(d, 'log', 'munged.log'),
      '--seed-file',
      join(d, 'munge', 'seed'),
      '--num-threads',
      '2',
    ]);
    const ctldPort = await freePort();
    let dPort = await freePort();
    while (dPort === ctldPort) dPort = await freePort();
    const gpus = this.opts.gpus ?? 2;
    const ncpu = this.opts.cpus ?? 4;
    const gpuFiles: string[] = [];
    for (let i = 0; i < gpus; i++) {
      const f = join(d, 'gpu', `nvidia${i}`);
      symlinkSync('/dev/null', f);
      gpuFiles.push(f);
    }
    writeFileSync(join(d, 'gres.conf'), gpuFiles.map((f) => `NodeName=${this.nodeName} Name=gpu File=${f}`).join('\n') + '\n');
    const lines = [
      'ClusterName=claratest',
      // Job ids differ between clusters started side by side (tests that look for a job's processes).
      `FirstJobId=${1000 + Math.floor(Math.random() * 400_000)}`,
      'SlurmctldHost=localhost(127.0.0.1)',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `AuthType=auth/munge`,
      `AuthInfo=socket=${sock}`,
      `CryptoType=crypto/munge`,
      ...(this.opts.rest ? ['AuthAltTypes=auth/jwt', `AuthAltParameters=jwt_key=${join(d, 'state', 'jwt_hs256.key')}`] : []),
      `StateSaveLocation=${join(d, 'state')}`,
      `SlurmdSpoolDir=${join(d, 'spool')}`,
      `SlurmctldPidFile=${join(d, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(d, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(d, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(d, 'log', 'slurmd.log')}`,
      'SlurmctldDebug=info',
      'SlurmdDebug=info',
      'ProctrackType=proctrack/pgid',
      'TaskPlugin=task/none',
      'MpiDefault=none',
      'SwitchType=switch/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'SchedulerType=sched/backfill',
      'SchedulerParameters=batch_sched_delay=0,bf_interval=1,sched_min_interval=0',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/filetxt',
      `JobCompLoc=${join(d, 'log', 'jobcomp.txt')}`,
      'JobAcctGatherType=jobacct_gather/none',
      'ReturnToService=2',
      'SlurmdTimeout=30',
      'InactiveLimit=0',
      'KillWait=2',
      'MinJobAge=300',
      'MessageTimeout=10',
      'GresTypes=gpu',
      'SlurmdParameters=config_overrides',
      `NodeName=${this.nodeName} NodeAddr=127.0.0.1 NodeHostname=${this.nodeName} CPUs=${ncpu} RealMemory=1000 Gres=gpu:${gpus} State=UNKNOWN`,
      `PartitionName=${this.partition} Nodes=${this.nodeName} Default=YES MaxTime=INFINITE State=UP`,
    ];
    writeFileSync(this.conf, lines.join('\n') + '\n');
    if (this.opts.rest) {
      writeFileSync(
        join(d, 'state', 'jwt_hs256.key'),
        Buffer.from(
          Array.from({ length: 32 }, (_, i) => (i * 131 + Date.now()) & 255)
            .map((x) => x.toString(16).padStart(2, '0'))
            .join(''),
        ),
        { mode: 0o600 },
      );
    }
    await this.waitFor(() => existsSync(sock), 'munged socket', timeoutMs, 'munged');
    this.spawnDaemon('slurmctld', 'slurmctld', ['-D', '-i', '-f', this.conf]);
    await this.waitFor(
      () => spawnSync(which('scontrol')!, ['ping'], { env: { ...process.env, ...this.env }, encoding: 'utf8' }).stdout?.includes('UP') ?? false,
      'slurmctld ping',
      timeoutMs,
      'slurmctld',
    );
    this.spawnDaemon('slurmd', 'slurmd', ['-D', '-N', this.nodeName, '-f', this.conf]);
    await this.waitFor(
      () => {
        const r = spawnSync(which('sinfo')!, ['-h', '-N', '-o', '%T'], { env: { ...process.env, ...this.env }, encoding: 'utf8' });
        return /^idle/m.test(r.stdout ?? '');
      },
      'the node to become idle',
      timeoutMs,
      'slurmd',
    );
    if (this.opts.rest) await this.startRest(timeoutMs);
  }

  private async startRest(timeoutMs: number): Promise<void> {
    const port = await freePort();
    this.spawnDaemon('slurmrestd', 'slurmrestd', ['-s', 'openapi/v0.0.38', `127.0.0.1:${port}`], {
      SLURM_JWT: 'daemon',
      SLURMRESTD_SECURITY: 'disable_user_check',
    });
    this.restUrl = `http://127.0.0.1:${port}`;
    await this.waitFor(
      async () => {
        try {
          const r = await fetch(`${this.restUrl}/slurm/v0.0.38/ping`, { headers: { 'X-SLURM-USER-NAME': 'root', 'X-SLURM-USER-TOKEN': this.token() } });
          return r.status < 500;
        } catch {
          return false;
        }
      },
      'slurmrestd',
      timeoutMs,
      'slurmrestd',
    );
  }

  /** A JWT for the REST API (`scontrol token`). */
  token(lifespanS = 3600): string {
    const r = spawnSync(which('scontrol')!, ['token', `lifespan=${lifespanS}`], { env: { ...process.env, ...this.env }, encoding: 'utf8' });
    const m = /SLURM_JWT=(\S+)/.exec(r.stdout ?? '');
    if (!m) throw new Error(`scontrol token failed: ${r.stderr}`);
    return m[1];
  }

  private async waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs: number, daemon: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const dead = this.procs.find((p) => p.proc.exitCode !== null);
      if (dead) {
        await this.stop();
        throw new Error(`${dead.name} exited with ${dead.proc.exitCode} while waiting for ${what}:\n${this.logTail(dead.name)}`);
      }
      if (await cond()) return;
      await sleep(100);
    }
    const tailText = this.logTail(daemon);
    await this.stop();
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${tailText}`);
  }

  /** kill -9 of slurmctld, then (after `downMs`) a new one on the same state, as after a crash. */
  async crashController(downMs: number, timeoutMs = 30_000): Promise<void> {
    const i = this.procs.findIndex((p) => p.name === 'slurmctld');
    const { proc } = this.procs[i];
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await gone;
    this.procs.splice(i, 1);
    await sleep(downMs);
    this.spawnDaemon('slurmctld', 'slurmctld', ['-D', '-i', '-f', this.conf]);
    await this.waitFor(
      () => spawnSync(which('scontrol')!, ['ping'], { env: { ...process.env, ...this.env }, encoding: 'utf8' }).stdout?.includes('UP') ?? false,
      'slurmctld ping',
      timeoutMs,
      'slurmctld',
    );
  }

  /** Runs a Slurm client command against this cluster. */
  cmd(bin: string, args: string[]): { code: number | null; out: string; err: string } {
    const r = spawnSync(which(bin) ?? bin, args, { env: { ...process.env, ...this.env }, encoding: 'utf8' });
    return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
  }

  /** Stops every daemon by pid (slurmrestd, slurmd, slurmctld, munged) and removes the folder. */
  async stop(keep = false): Promise<void> {
    // Cancel what still runs so that slurmd leaves no job processes behind.
    if (this.procs.some((p) => p.name === 'slurmctld' && p.proc.exitCode === null)) this.cmd('scancel', ['--full', '-p', this.partition]);
    for (const { proc } of [...this.procs].reverse()) {
      if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) continue;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      try {
        proc.kill('SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => {
        try {
          proc.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }, 5000);
      await gone;
      clearTimeout(t);
    }
    this.procs.length = 0;
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The daemons' pids by name. */
  get pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.procs.map((p) => [p.name, p.proc.pid]));
  }
}
