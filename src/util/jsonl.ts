// JSONL journals: one JSON value a line, appended (fsync'ed when asked) so that a crash at
// any moment loses at most the line being written. One rule for a torn last line: a last
// line without its newline is a write a crash cut short; readers leave it out and a writer
// that reopens the file cuts it off before appending. A complete line that is not JSON is
// an error naming the file and the line.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ClaraError } from './errors.js';

interface JsonlLine<T> {
  value: T;
  /** Byte offset just after this line (where a reader continues). */
  end: number;
}

interface JsonlRead<T> {
  lines: JsonlLine<T>[];
  /** Byte offset after the last complete line (a torn tail starts here). */
  size: number;
}

/** The complete lines from byte `offset` on (a torn last line is left for later). */
export function readJsonl<T>(file: string, offset = 0, what = 'a JSONL journal holds one JSON value per line'): JsonlRead<T> {
  if (!existsSync(file)) return { lines: [], size: 0 };
  const total = statSync(file).size;
  const buf = Buffer.alloc(Math.max(0, total - offset));
  const fd = openSync(file, 'r');
  try {
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  const lines: JsonlLine<T>[] = [];
  let pos = 0;
  let lineNo = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    lineNo++;
    const text = buf.subarray(pos, nl).toString('utf8').trim();
    if (text) {
      let value: T;
      try {
        value = JSON.parse(text) as T;
      } catch (e) {
        const where = offset === 0 ? `line ${lineNo}` : `the line at byte ${offset + pos}`;
        throw new ClaraError(`${where} is not JSON (${(e as Error).message}); ${what}`, { file });
      }
      lines.push({ value, end: offset + nl + 1 });
    }
    pos = nl + 1;
  }
  return { lines, size: offset + pos };
}

/** Appends JSON values to a JSONL file, one line each; opening it cuts off a torn tail. */
export class JsonlWriter<T> {
  private fd: number;
  readonly file: string;
  /** The values already in the file when it was opened (for resume). */
  readonly existing: T[];

  constructor(file: string, what?: string) {
    this.file = resolve(file);
    mkdirSync(dirname(this.file), { recursive: true });
    const prior = readJsonl<T>(this.file, 0, what);
    if (existsSync(this.file) && statSync(this.file).size > prior.size) truncateSync(this.file, prior.size);
    this.existing = prior.lines.map((l) => l.value);
    this.fd = openSync(this.file, 'a');
  }

  /** Writes one line; with `sync` it is on disk when append returns. */
  append(value: T, sync = false): void {
    if (this.fd < 0) throw new ClaraError('append after close', { file: this.file });
    writeSync(this.fd, JSON.stringify(value) + '\n');
    if (sync) fsyncSync(this.fd);
  }

  sync(): void {
    if (this.fd >= 0) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
