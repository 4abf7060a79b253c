// The tracking journal: an append-only JSONL file that every tracking event reaches before
// any network call. Sinks replay it (from a byte offset they keep) to a server or a folder.
import { createHash } from 'node:crypto';
import type { RunStatus } from './tracker.js';
import { JsonlWriter, readJsonl } from '../util/jsonl.js';

/** A metric point as journalled: NaN/±Infinity as the strings "NaN", "Infinity", "-Infinity". */
export interface JournalMetric {
  key: string;
  value: number | string;
  step: number;
  timestamp: number;
}

export type JournalEvent =
  | { type: 'journal'; v: 1; uid: string; time: number }
  | { type: 'run_start'; run: string; experiment: string; name: string; parent?: string; tags: Record<string, string>; time: number }
  | { type: 'params'; run: string; params: Record<string, string> }
  | { type: 'metrics'; run: string; metrics: JournalMetric[] }
  | { type: 'tags'; run: string; tags: Record<string, string> }
  | { type: 'artifact'; run: string; path: string; artifactPath: string }
  | { type: 'run_end'; run: string; status: RunStatus; time: number }
  /** The run goes to MLflow's "deleted" lifecycle stage (hidden, restorable). */
  | { type: 'run_delete'; run: string; time: number }
  /** An ended (or abandoned) run continues: RUNNING again, its history kept (a resumed AutoML job). */
  | { type: 'run_reopen'; run: string; time: number };

export interface JournalEntry {
  event: JournalEvent;
  /** byte offset just after this line */ end: number;
}

const WHAT = 'a tracking journal holds one JSON event per line';

/** Events from byte `offset` on; a torn last line (no newline yet) is left for later. */
export function readJournal(file: string, offset = 0): { entries: JournalEntry[]; size: number } {
  const r = readJsonl<JournalEvent>(file, offset, WHAT);
  return { entries: r.lines.map((l) => ({ event: l.value, end: l.end })), size: r.size };
}

/** Appends events, one JSON line each, written through to the OS before append() returns. */
export class JournalWriter {
  private readonly w: JsonlWriter<JournalEvent>;
  readonly uid: string;
  /** Events already in the file when it was opened (for resume). */
  readonly existing: JournalEvent[];

  constructor(file: string) {
    this.w = new JsonlWriter<JournalEvent>(file, WHAT);
    this.existing = this.w.existing;
    const head = this.existing.find((e) => e.type === 'journal');
    if (head && head.type === 'journal') {
      this.uid = head.uid;
    } else {
      const time = Date.now();
      this.uid = createHash('sha256').update(`${this.file}\0${time}\0${process.pid}`).digest('hex').slice(0, 16);
      this.append({ type: 'journal', v: 1, uid: this.uid, time }, true);
    }
  }

  get file(): string {
    return this.w.file;
  }

  append(e: JournalEvent, sync = false): void {
    this.w.append(e, sync);
  }

  sync(): void {
    this.w.sync();
  }

  close(): void {
    this.w.close();
  }
}

/** The journal's uid (from its header line), or the empty string. */
export function journalUid(file: string): string {
  const first = readJournal(file).entries[0]?.event;
  return first?.type === 'journal' ? first.uid : '';
}
