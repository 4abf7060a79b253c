// The terminal view of a search's status.json (clara-train automl status).
import type { RunStatus } from '../automl/control.js';

const age = (ms: number) => (ms < 90_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);
const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : Number(v.toPrecision(4)).toString());

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(w[i]))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

export function formatStatus(s: RunStatus, alive: boolean | undefined, now = Date.now()): string[] {
  const state = s.state !== 'ended' && alive === false ? 'not running (process gone; automl --resume continues it)' : s.state;
  const out = [`automl ${s.run_id}: ${state} · pid ${s.pid} on ${s.host} · up ${age(s.updated - s.started)} · updated ${age(now - s.updated)} ago`];
  out.push(`best so far: ${s.best ? `${s.best.job} ${num(s.best.score)}` : '-'} · finished ${s.finished.length}`);
  out.push(
    '',
    'workers:',
    ...table(
      ['worker', 'gpus', 'state', 'job'],
      s.workers.map((w) => [String(w.id), w.gpus.length ? w.gpus.join(',') : 'cpu', w.suspended ? 'suspended' : w.job ? 'busy' : 'idle', w.job ?? '-']),
    ),
  );
  if (s.running.length) {
    out.push(
      '',
      'running:',
      ...table(
        ['job', 'worker', 'epoch', 'loss', 'val', 'ETA'],
        s.running.map((r) => [
          r.job,
          String(r.worker),
          `${r.epoch}/${r.epochs ?? '?'}`,
          num(r.train_loss),
          num(r.val),
          r.eta_s !== undefined ? age(r.eta_s * 1000) : '-',
        ]),
      ),
    );
  }
  if (s.finished.length) {
    const top = [...s.finished].sort((a, b) => b.score - a.score);
    out.push(
      '',
      'finished:',
      ...table(
        ['job', 'status', 'score'],
        top.map((f) => [f.job, f.status, f.status === 'FINISHED' || f.status === 'PRUNED' ? num(f.score) : '-']),
      ),
    );
  }
  if (s.applied.length)
    out.push(
      '',
      'commands:',
      ...s.applied.map((a) => `  ${new Date(a.time).toISOString()} ${a.command}${a.worker !== undefined ? ` ${a.worker}` : ''}: ${a.result}`),
    );
  return out;
}
