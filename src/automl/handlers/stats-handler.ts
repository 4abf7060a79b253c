// StatsHandler: the running jobs and a live leaderboard in the terminal (a compact table
// redrawn in place on a TTY; plain lines per epoch and per finished job otherwise) and a
// final table at shutdown. MMARStatsHandler: the same figures written to
// automl/<run_id>/stats.json. MMARTensorboardHandler: TensorBoard is not available here;
// it says so once and does nothing.
import { join } from 'node:path';
import type { SearchSpace } from '../../config/search-types.js';
import type { Context, Handler, JobEvent, Outcome } from '../types.js';
import { removeStaleTemps, writeJsonAtomic } from '../../util/atomic-fs.js';
import { LiveJobs } from './live-jobs.js';
import { describeFidelity } from '../fidelity.js';
import { bestOf, byScoreDesc } from '../../jobs/objective.js';

const num = (x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? x.toPrecision(3) : JSON.stringify(x));

/** `arg=value` per search key; an enum shows its chosen values (`use_amp=true`), not the index. */
export function fmtValues(v: Record<string, unknown>, space?: SearchSpace): string {
  const items = new Map((space?.items ?? []).map((i) => [i.key, i]));
  return Object.entries(v)
    .map(([k, x]) => {
      const it = items.get(k);
      if (it?.type === 'enum' && typeof x === 'number' && it.choices?.[x]) {
        return it.args.map((a, j) => `${a.replace(/^@/, '')}=${num(it.choices![x][j])}`).join(' ');
      }
      const name = it ? it.args.map((a) => a.split('#')[0]).join(',') : k.split(':').pop();
      return `${name}=${num(x)}`;
    })
    .join(' ');
}

/** A retried job's lowered fidelity and a failed job's failure kind, for the values column. */
function outcomeNote(o: Outcome): string {
  const notes = [
    o.fidelity ? `lowered after out of memory to ${describeFidelity(o.fidelity)}` : '',
    o.failure && o.status !== 'FINISHED' ? o.failure.kind : '',
    o.attempts && o.attempts.length > 1 ? `${o.attempts.length} attempts` : '',
  ].filter(Boolean);
  return notes.length ? `  [${notes.join('; ')}]` : '';
}

export function leaderboard(outcomes: Outcome[], top = Infinity, space?: SearchSpace): string[] {
  const rows = [...outcomes].sort(byScoreDesc).slice(0, top);
  const cells = rows.map((o, i) => [
    String(i + 1),
    o.jobName,
    o.status,
    o.status === 'FINISHED' || o.status === 'PRUNED' ? o.score.toFixed(4) : '-',
    fmtValues(o.recommendation.values, space) + outcomeNote(o),
  ]);
  const head = ['#', 'job', 'status', 'score', 'values'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(w[i]))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...cells.map(line)];
}

export class StatsHandler implements Handler {
  private outcomes: Outcome[] = [];
  private drawn = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly live = new LiveJobs();
  private lastDraw = 0;
  private redrawTimer: NodeJS.Timeout | undefined;

  constructor(args: Record<string, unknown> = {}) {
    this.stream = args.stream === 'stdout' ? process.stdout : process.stderr;
  }

  startup(ctx: Context): void {
    removeStaleTemps(join(ctx.RUN_ROOT, 'stats.json')); // a search killed at the stats rename left its temp file
    const prev = ctx.props.resumedOutcomes;
    if (Array.isArray(prev)) this.outcomes.push(...(prev as Outcome[]));
  }

  startJob(ctx: Context): void {
    this.live.start(ctx);
    if (this.stream.isTTY) this.draw(ctx, false);
  }

  /** Running jobs: a table redrawn in place on a terminal (at most once a second), a plain line per epoch otherwise. */
  jobProgress(ctx: Context, e: JobEvent): void {
    const r = this.live.progress(ctx, e);
    if (!r) return;
    if (this.stream.isTTY) this.draw(ctx, false);
    else this.stream.write(`automl ${ctx.RUN_ID}: ${this.live.line(r)}\n`);
  }

  endJob(ctx: Context): void {
    this.live.end(ctx.JOB_NAME ?? ctx.OUTCOME?.jobName);
    if (!ctx.OUTCOME) return;
    this.outcomes.push(ctx.OUTCOME);
    this.draw(ctx, true);
  }

  private draw(ctx: Context, now: boolean): void {
    const tty = Boolean(this.stream.isTTY);
    if (tty && !now && Date.now() - this.lastDraw < 1000) {
      if (!this.redrawTimer) {
        this.redrawTimer = setTimeout(() => {
          this.redrawTimer = undefined;
          this.draw(ctx, true);
        }, 1000);
        this.redrawTimer.unref();
      }
      return;
    }
    this.lastDraw = Date.now();
    const lines = [
      `automl ${ctx.RUN_ID}: ${this.outcomes.length} job(s) done${this.live.size ? `, ${this.live.size} running` : ''}`,
      ...(tty ? this.live.table() : []),
      ...(this.outcomes.length ? leaderboard(this.outcomes, 5, ctx.SEARCH_SPACE) : []),
    ];
    if (tty && this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A\x1b[J`);
    this.stream.write(lines.join('\n') + '\n');
    this.drawn = tty ? lines.length : 0;
  }

  shutdown(ctx: Context): void {
    if (this.redrawTimer) clearTimeout(this.redrawTimer);
    this.redrawTimer = undefined;
    const lines = [`automl ${ctx.RUN_ID}: final leaderboard (${this.outcomes.length} jobs)`, ...leaderboard(this.outcomes, Infinity, ctx.SEARCH_SPACE)];
    process.stdout.write(lines.join('\n') + '\n');
  }
}

export class MMARStatsHandler implements Handler {
  private outcomes: Outcome[] = [];

  startup(ctx: Context): void {
    removeStaleTemps(join(ctx.RUN_ROOT, 'stats.json')); // a search killed at the stats rename left its temp file
    const prev = ctx.props.resumedOutcomes;
    if (Array.isArray(prev)) this.outcomes.push(...(prev as Outcome[]));
  }

  endJob(ctx: Context): void {
    if (ctx.OUTCOME) this.outcomes.push(ctx.OUTCOME);
    this.write(ctx);
  }

  shutdown(ctx: Context): void {
    this.write(ctx);
  }

  private write(ctx: Context): void {
    const valid = this.outcomes.filter((o) => o.status === 'FINISHED' || o.status === 'PRUNED');
    const best = bestOf(valid);
    const file = join(ctx.RUN_ROOT, 'stats.json');
    const body = {
      run_id: ctx.RUN_ID,
      jobs: this.outcomes.length,
      best: best ? { job: best.jobName, score: best.score, values: best.recommendation.values } : null,
      outcomes: this.outcomes.map((o) => ({
        job: o.jobName,
        status: o.status,
        score: o.score,
        values: o.recommendation.values,
        ...(o.error ? { error: o.error } : {}),
      })),
    };
    writeJsonAtomic(file, body);
  }
}

export class MMARTensorboardHandler implements Handler {
  startup(): void {
    process.stderr.write(
      'automl: MMARTensorboardHandler: TensorBoard is not supported by clara-train; this handler is skipped (see stats.json and MLflow instead)\n',
    );
  }
}
