// A test file's real one-node Slurm cluster (test/helpers/slurm-cluster.ts): started before
// its tests, stopped after them, with `clara-train` run from source as child processes that
// are killed (if still running) before the cluster stops. MLflow goes to ./mlruns of the
// child's folder and the jobs' train command comes from the configs (not the environment).
import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SlurmTestCluster, skipUnlessSlurm, type SlurmClusterOptions } from './slurm-cluster.js';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export interface CliProc {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

export function slurmSuite(opts: SlurmClusterOptions = {}): {
  skip: string | false;
  cluster: () => SlurmTestCluster;
  cli: (args: string[], cwd?: string) => CliProc;
} {
  const skip = skipUnlessSlurm({ rest: opts.rest });
  let cluster: SlurmTestCluster | undefined;
  const children = new Set<ChildProcess>();
  before(async () => {
    if (skip) return;
    cluster = new SlurmTestCluster(opts);
    await cluster.start();
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await cluster?.stop();
  });
  const cli = (args: string[], cwd?: string): CliProc => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...cluster!.env };
    delete env.CLARA_TRAIN_COMMAND;
    delete env.MLFLOW_TRACKING_URI;
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, ...(cwd ? { cwd } : {}) });
    children.add(child);
    let out = '',
      err = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.stderr!.on('data', (d) => {
      err += d;
    });
    return { child, done: new Promise((res) => child.on('exit', (code, signal) => res({ code, signal, out, err }))) };
  };
  return { skip, cluster: () => cluster!, cli };
}
