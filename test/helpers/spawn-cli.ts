// The CLI from source (tsx) as a real child process whose pid the test holds (to kill it),
// and the same CLI as the train command of AutoML jobs (CLARA_TRAIN_COMMAND).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
// Absolute, so that children started in a job folder (cwd) still find it.
const TSX = import.meta.resolve('tsx');

export interface SpawnedCli {
  child: ReturnType<typeof spawn>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

export function spawnCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnedCli {
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '',
    err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal, out, err })),
  );
  return { child, done };
}

/** The environment for an AutoML run whose jobs are `clara-train train -q` from source; no MLflow variables leak in. */
export function automlEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLARA_TRAIN_COMMAND: JSON.stringify([process.execPath, '--import', TSX, ENTRY, 'train', '-m', '{mmar}', '-q']),
  };
  delete env.MLFLOW_TRACKING_URI;
  delete env.MLFLOW_EXPERIMENT_NAME;
  delete env.CLARA_JOB_NAME;
  return env;
}

/** Live (non-zombie) processes whose parent is `ppid` (Linux /proc). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === ppid && rest[0] !== 'Z') out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}
