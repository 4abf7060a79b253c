// Spawns the CLI from source as a real child process (with an IPC channel when asked).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isJobEventMessage, type JobEvent } from '../../src/jobs/events.js';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: JobEvent[];
}

const entry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));

export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onEvent?: (e: JobEvent, kill: () => void) => void } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = fork(entry, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...opts.env } });
    let stdout = '',
      stderr = '';
    const events: JobEvent[] = [];
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.on('message', (m) => {
      if (isJobEventMessage(m)) {
        events.push(m.claraJobEvent);
        opts.onEvent?.(m.claraJobEvent, () => child.kill('SIGKILL'));
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, events });
    });
  });
}
