// The replay loop shared by sinks: read the journal from the sink's cursor, apply events,
// advance the cursor (saved atomically in the sink's state file) after each one that
// landed. A failure stops the drain and a timer retries later (1 s doubling to 30 s), so
// an outage only delays tracking; notify() wakes it early.
import { statSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readJournal, type JournalEntry } from '../journal.js';
import { journalEventProblem } from '../journal-checks.js';
import { readState, writeState } from '../state-file.js';
import { defaultSinkLog, type DrainResult, type Sink, type SinkLog } from './sink.js';

export interface SinkStateBase {
  version: 1;
  journal: string;
  offset: number;
  skipped: string[];
}

export abstract class JournalSink<S extends SinkStateBase> implements Sink {
  abstract readonly description: string;
  protected state: S;
  private running: Promise<DrainResult> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private retryMs = 0;
  private closed = false;
  private down = false;
  protected readonly log: SinkLog;
  /** The folder holding the journal: artifact sources must lie inside it. */
  readonly runFolder: string;

  constructor(
    readonly journal: string,
    readonly stateFile: string,
    initial: S,
    log?: SinkLog,
    private readonly retry = { minMs: 1000, maxMs: 30_000 },
  ) {
    this.state = readState<S>(stateFile, initial);
    this.log = log ?? defaultSinkLog;
    this.runFolder = dirname(resolve(journal));
  }

  /** Applies entries in order, calling advance(entry) after each one that is done. Throws to stop. */
  protected abstract apply(entries: JournalEntry[]): Promise<void>;
  /** Whether an error means "try again later" (outage) rather than "this event is bad". */
  protected abstract isTransient(e: unknown): boolean;

  protected advance(entry: JournalEntry): void {
    this.state.offset = entry.end;
    this.saveState();
  }

  protected saveState(): void {
    writeState(this.stateFile, this.state);
  }

  protected skip(entry: JournalEntry, why: string): void {
    const msg = `skipped journal event at byte ${entry.end} (${String((entry.event as { type?: unknown } | null)?.type)}): ${why}`;
    this.log(msg);
    this.state.skipped.push(msg.slice(0, 1000));
    this.advance(entry);
  }

  /** Applies the events a tracker could have written; refuses (skips, with the reason) any other, in order. */
  private async applyChecked(entries: JournalEntry[]): Promise<void> {
    let batch: JournalEntry[] = [];
    for (const entry of entries) {
      const why = journalEventProblem(entry.event, this.runFolder);
      if (!why) {
        batch.push(entry);
        continue;
      }
      if (batch.length) await this.apply(batch);
      batch = [];
      this.skip(entry, `refused: ${why}`);
    }
    if (batch.length) await this.apply(batch);
  }

  private journalSize(): number {
    return existsSync(this.journal) ? statSync(this.journal).size : 0;
  }

  get caughtUp(): boolean {
    return !this.running && this.state.offset >= this.journalSize();
  }

  notify(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) {
      if (this.down) return; // waiting out an outage; the timer will come
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, 0);
    this.timer.unref();
  }

  drain(): Promise<DrainResult> {
    if (this.running) return this.running;
    this.running = this.drainOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drainOnce(): Promise<DrainResult> {
    let applied = 0;
    let error: string | undefined;
    try {
      do {
        this.again = false;
        const { entries } = readJournal(this.journal, this.state.offset);
        const before = this.state.offset;
        await this.applyChecked(entries);
        applied += entries.filter((e) => e.end <= this.state.offset && e.end > before).length;
      } while (this.again && !this.closed);
      if (this.down) this.log(`${this.description} reachable again; caught up`);
      this.down = false;
      this.retryMs = 0;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      if (!this.down) this.log(`${this.description} unavailable, tracking continues in the journal and will be resent: ${error}`);
      this.down = true;
      this.retryMs = Math.min(this.retry.maxMs, this.retryMs ? this.retryMs * 2 : this.retry.minMs);
      if (!this.closed) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = null;
          void this.drain();
        }, this.retryMs);
        this.timer.unref();
      }
    }
    return { applied, remainingBytes: Math.max(0, this.journalSize() - this.state.offset), error };
  }

  async flush(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.running) await this.running;
      if (this.state.offset >= this.journalSize()) return true;
      const r = await this.drain();
      if (!r.error && r.remainingBytes === 0) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      if (r.error) await new Promise((res) => setTimeout(res, Math.min(left, Math.max(200, this.retryMs / 2))));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
    await this.dispose();
  }

  protected async dispose(): Promise<void> {}

  /** True when a drain error was transient (used by subclasses' apply to decide skip vs stop). */
  protected transient(e: unknown): boolean {
    return this.isTransient(e);
  }
}
