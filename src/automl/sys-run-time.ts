// max_sys_run_time across --resume: the search's wall time is counted over all of its
// sessions (from each session's run_start to its last journal entry, so that a search
// killed with kill -9 keeps what it spent up to its last entry), and journalled as it goes
// (a `time_spent` entry every few seconds, so that the last entry is never far behind) —
// a resumed search gets the remaining time only, and one whose budget is spent stops at
// once (a larger `--set max_sys_run_time=S` continues it).
import type { Journal, JournalEntry } from './journal.js';

/** Seconds the search ran over the sessions journalled in `entries`. */
export function spentSysRunTimeS(entries: JournalEntry[]): number {
  let total = 0;
  let start: number | undefined;
  let last: number | undefined;
  const close = () => {
    if (start !== undefined && last !== undefined) total += Math.max(0, last - start) / 1000;
  };
  for (const e of entries) {
    if (e.type === 'run_start') {
      close();
      start = e.time;
    }
    last = e.time;
  }
  close();
  return total;
}

interface ClockOptions {
  journal: Journal;
  /** Seconds spent by earlier sessions of this search (spentSysRunTimeS of its journal). */
  spentBeforeS: number;
  /** max_sys_run_time (seconds), or undefined: only journalled. */
  maxS?: number;
  /** Called once when the budget is spent (at start() already when earlier sessions spent it). */
  onSpent: (totalS: number) => void;
  /** Seconds between `time_spent` entries (default 30, or a tenth of the budget when that is shorter; at least 1). */
  everyS?: number;
}

/** Counts this session's wall time on top of the earlier sessions', journals it, and stops the search at the budget. */
export class SysRunClock {
  private t0 = Date.now();
  private tick: NodeJS.Timeout | undefined;
  private limit: NodeJS.Timeout | undefined;
  private fired = false;

  constructor(private readonly o: ClockOptions) {}

  /** Seconds spent over all sessions so far. */
  spentS(): number {
    return this.o.spentBeforeS + (Date.now() - this.t0) / 1000;
  }

  start(): this {
    this.t0 = Date.now();
    const max = this.o.maxS;
    const every = this.o.everyS ?? Math.max(1, Math.min(30, max !== undefined ? max / 10 : 30));
    this.tick = setInterval(() => this.record(), every * 1000);
    this.tick.unref();
    if (max !== undefined) {
      const left = max - this.o.spentBeforeS;
      if (left <= 0) this.spend();
      else {
        this.limit = setTimeout(() => this.spend(), left * 1000);
        this.limit.unref();
      }
    }
    return this;
  }

  /** Journals the time spent so far (also at the end of the session). */
  record(): void {
    this.o.journal.append({ type: 'time_spent', time: Date.now(), sysRunTimeS: Math.round(this.spentS() * 1000) / 1000 });
  }

  stop(): void {
    clearInterval(this.tick);
    clearTimeout(this.limit);
    this.record();
  }

  private spend(): void {
    if (this.fired) return;
    this.fired = true;
    this.o.onSpent(this.spentS());
  }
}
