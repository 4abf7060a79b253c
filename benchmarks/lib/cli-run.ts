// Runs the clara-train CLI from source (tsx) as a real child process, as a user's shell would:
// exit code, wall seconds and stdout (stderr passes through, or is dropped with quiet).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../../test/helpers/cli-entry.ts', import.meta.url));

export interface CliRun {
  code: number | null;
  seconds: number;
  out: string;
}

export function runCli(args: string[], o: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = fork(entry, args, {
      execArgv: ['--import', 'tsx'],
      env: o.env ?? process.env,
      stdio: ['ignore', 'pipe', o.quiet ? 'ignore' : 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => resolve({ code, seconds: (Date.now() - t0) / 1000, out }));
  });
}

/** The environment that gives a child (clara-train on either backend, or python) `threads` compute threads. */
export function threadsEnv(threads: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLARA_NUM_THREADS: String(threads),
    TF_NUM_INTRAOP_THREADS: String(threads),
    TF_NUM_INTEROP_THREADS: '1',
    TF_CPP_MIN_LOG_LEVEL: '2',
  };
}
