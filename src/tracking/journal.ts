// The tracking journal: an append-only JSONL file that every tracking event reaches before
// any network call. Sinks replay it (from a byte offset they keep) to a server or a folder.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, writeSync, statSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { RunStatus } from './tracker.js';
import { ClaraError } from '../util/errors.js';

/** A metric point as journalled: NaN/±Infinity as the strings "NaN", "Infinity", "-Infinity". */
export interface JournalMetric { key: string; value: number | string; step: number; timestamp: number }

export type JournalEvent =
  | { type: 'journal'; v: 1; uid: string; time: number }
  | { type: 'run_start'; run: string; experiment: string; name: string; parent?: string; tags: Record<string, string>; time: number }
  | { type: 'params'; run: string; params: Record<string, string> }
  | { type: 'metrics'; run: string; metrics: JournalMetric[] }
  | { type: 'tags'; run: string; tags: Record<string, string> }
  | { type: 'artifact'; run: string; path: string; artifactPath: string }
  | { type: 'run_end'; run: string; status: RunStatus; time: number }
  /** The run goes to MLflow's "deleted" lifecycle stage (hidden, restorable). */
  | { type: 'run_delete'; run: string; time: number };

export interface JournalEntry { event: JournalEvent; /** byte offset just after this line */ end: number }

/** Events from byte `offset` on; a torn last line (no newline yet) is left for later. */
export function readJournal(file: string, offset = 0): { entries: JournalEntry[]; size: number } {
  if (!existsSync(file)) return { entries: [], size: 0 };
  const total = statSync(file).size;
  const buf = Buffer.alloc(Math.max(0, total - offset));
  const fd = openSync(file, 'r');
  try {
    if (buf.length > 0) readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  const entries: JournalEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    const line = buf.subarray(pos, nl).toString('utf8').trim();
    if (line) {
      try {
        entries.push({ event: JSON.parse(line) as JournalEvent, end: offset + nl + 1 });
      } catch {
        throw new ClaraError(`the line at byte ${offset + pos} is not JSON (a tracking journal holds one JSON event per line)`, { file });
      }
    }
    pos = nl + 1;
  }
  return { entries, size: offset + pos };
}

/** Appends events, one JSON line each, written through to the OS before append() returns. */
export class JournalWriter {
  private fd: number;
  readonly file: string;
  readonly uid: string;
  /** Events already in the file when it was opened (for resume). */
  readonly existing: JournalEvent[];

  constructor(file: string) {
    this.file = resolve(file);
    mkdirSync(dirname(this.file), { recursive: true });
    const prior = existsSync(this.file) ? readJournal(this.file) : { entries: [], size: 0 };
    // Drop a torn tail left by a crash so the next line starts clean.
    if (existsSync(this.file) && statSync(this.file).size > prior.size) {
      const keep = readFileSync(this.file).subarray(0, prior.size);
      writeFileSync(`${this.file}.tmp`, keep);
      renameSync(`${this.file}.tmp`, this.file);
    }
    this.existing = prior.entries.map((e) => e.event);
    this.fd = openSync(this.file, 'a');
    const head = this.existing.find((e) => e.type === 'journal');
    if (head && head.type === 'journal') {
      this.uid = head.uid;
    } else {
      const time = Date.now();
      this.uid = createHash('sha256').update(`${this.file}\0${time}\0${process.pid}`).digest('hex').slice(0, 16);
      this.append({ type: 'journal', v: 1, uid: this.uid, time }, true);
    }
  }

  append(e: JournalEvent, sync = false): void {
    writeSync(this.fd, JSON.stringify(e) + '\n');
    if (sync) fsyncSync(this.fd);
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** The journal's uid (from its header line), or the empty string. */
export function journalUid(file: string): string {
  const first = readJournal(file).entries[0]?.event;
  return first?.type === 'journal' ? first.uid : '';
}
