// clara-train automl status|stop|suspend-worker|resume-worker -m MMAR --run-id R: look at
// and steer a running search from any shell, through automl/<run_id>/status.json and
// control.jsonl (src/automl/control.ts).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readStatus, sendControl, statusAlive, type ControlVerb, type RunStatus } from '../automl/control.js';
import { formatStatus } from '../report/status-view.js';
import { ClaraError } from '../util/errors.js';

interface Common {
  mmar?: string;
  runId?: string;
}

function runRootOf(o: Common): string {
  if (!o.mmar) throw new ClaraError('the MMAR is required: -m MMAR', { path: '-m' });
  if (!o.runId) throw new ClaraError('a run id is required: --run-id NAME', { path: '--run-id' });
  const root = join(resolve(o.mmar), 'automl', o.runId);
  if (!existsSync(join(root, 'journal.jsonl')))
    throw new ClaraError(`no AutoML run '${o.runId}' in ${resolve(o.mmar)} (${root}/journal.jsonl does not exist)`, { path: '--run-id' });
  return root;
}

/** The status of a search that runs now, or a one-line error saying why it cannot be steered. */
function liveStatus(root: string, runId: string): RunStatus {
  const s = readStatus(root);
  if (!s)
    throw new ClaraError(`run '${runId}' has no status.json: it was not started by this version of clara-train, or it has not started yet`, {
      file: join(root, 'status.json'),
    });
  if (s.state === 'ended')
    throw new ClaraError(`run '${runId}' is not running (it ended at ${new Date(s.updated).toISOString()}); continue it with automl --resume`, {
      path: '--run-id',
    });
  if (statusAlive(s) === false)
    throw new ClaraError(`run '${runId}' is not running (its process ${s.pid} is gone without a clean end); continue it with automl --resume`, {
      path: '--run-id',
    });
  return s;
}

async function command(o: Common, verb: ControlVerb, worker?: number, waitMs = 30_000): Promise<void> {
  const root = runRootOf(o);
  const s = liveStatus(root, o.runId!);
  if (worker !== undefined && !s.workers.some((w) => w.id === worker)) {
    throw new ClaraError(`run '${o.runId}' has no worker ${worker}; its workers are ${s.workers.map((w) => w.id).join(', ')}`, { path: '--worker' });
  }
  const cmd = sendControl(root, { command: verb, ...(worker !== undefined ? { worker } : {}) });
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    const now = readStatus(root);
    const hit = now?.applied.find((a) => a.id === cmd.id);
    if (hit) {
      process.stdout.write(`automl ${o.runId}: ${hit.result}\n`);
      return;
    }
    if (now && statusAlive(now) === false) throw new ClaraError(`run '${o.runId}' ended before it took the command`, { path: '--run-id' });
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new ClaraError(
    `run '${o.runId}' did not take the command within ${waitMs / 1000} s (it is written to control.jsonl and is taken when the search polls it)`,
    { path: '--run-id' },
  );
}

function workerId(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ClaraError(`expected a worker number (0, 1, ...), got '${v}'`, { path: '--worker' });
  return n;
}

export function registerAutoMLControl(automl: Command): void {
  automl
    .command('status')
    .description('workers, running jobs (epoch, ETA), finished jobs and the best so far of a search, from its run folder')
    .option('-m, --mmar <dir>', 'MMAR root')
    .option('--run-id <name>', 'run id')
    .option('--json', 'status.json as it is')
    .action((o: Common & { json?: boolean }) => {
      const root = runRootOf(o);
      const s = readStatus(root);
      if (!s)
        throw new ClaraError(`run '${o.runId}' has no status.json (not started by this version of clara-train, or not started yet)`, {
          file: join(root, 'status.json'),
        });
      if (o.json) {
        process.stdout.write(JSON.stringify({ ...s, alive: statusAlive(s) ?? null }, null, 2) + '\n');
        return;
      }
      process.stdout.write(formatStatus(s, statusAlive(s)).join('\n') + '\n');
    });
  automl
    .command('stop')
    .description('stop a running search: running jobs finish and no new one starts (--now: running jobs are ended; --resume reruns them)')
    .option('-m, --mmar <dir>', 'MMAR root')
    .option('--run-id <name>', 'run id')
    .option('--now', 'end the running jobs now')
    .action((o: Common & { now?: boolean }) => command(o, o.now ? 'stop_now' : 'stop'));
  for (const [name, verb, what] of [
    ['suspend-worker', 'suspend', 'the worker takes no new job (its running job finishes)'],
    ['resume-worker', 'resume', 'a suspended worker takes jobs again'],
  ] as const) {
    automl
      .command(name)
      .description(what)
      .option('-m, --mmar <dir>', 'MMAR root')
      .option('--run-id <name>', 'run id')
      .requiredOption('--worker <n>', 'worker number (0, 1, ... in the order of workers=)')
      .action((o: Common & { worker: string }) => command(o, verb, workerId(o.worker)));
  }
}
