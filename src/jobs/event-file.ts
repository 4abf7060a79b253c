// The job protocol's events file: a job that has no IPC channel to its AutoML process (a
// Slurm job on another machine) appends each JobEvent as one JSON line to
// JOBDIR/events.jsonl and fsyncs it, so that a reader on a shared filesystem sees whole
// lines in order; the executor follows the file by offset. The path comes to the job in
// CLARA_EVENTS_FILE.
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JobEvent } from '../train/events.js';

/** Environment variable naming the events file of a job started without an IPC channel. */
export const EVENTS_FILE_ENV = 'CLARA_EVENTS_FILE';
/** The events file's name inside a job folder. */
export const EVENTS_FILE_NAME = 'events.jsonl';

/** Appends events, one fsync'ed JSON line each. */
export class EventFileWriter {
  private fd: number | undefined;

  constructor(readonly file: string) {}

  append(e: JobEvent): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    writeSync(this.fd, JSON.stringify(e) + '\n');
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Reads the events appended since the last call; a line still being written waits for the next call. */
export class EventFileFollower {
  private offset = 0;
  /** Lines that were not a JobEvent (skipped and counted, never fatal). */
  skipped = 0;

  constructor(readonly file: string) {}

  poll(): JobEvent[] {
    if (!existsSync(this.file)) return [];
    const fd = openSync(this.file, 'r');
    let text = '';
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) this.offset = 0; // truncated: a resubmitted job starts over
      const buf = Buffer.alloc(Math.min(size - this.offset, 16 << 20));
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + got);
        if (n <= 0) break;
        got += n;
      }
      // Only whole lines: a line still being written is read again next time.
      const end = buf.subarray(0, got).lastIndexOf(0x0a);
      if (end < 0) return [];
      this.offset += end + 1;
      text = buf.subarray(0, end).toString('utf8');
    } finally {
      closeSync(fd);
    }
    const lines = text.split('\n');
    const out: JobEvent[] = [];
    for (const l of lines) {
      if (!l.trim()) continue;
      try {
        const e = JSON.parse(l) as JobEvent;
        if (typeof e === 'object' && e !== null && typeof e.type === 'string') out.push(e);
        else this.skipped++;
      } catch {
        this.skipped++;
      }
    }
    return out;
  }
}
