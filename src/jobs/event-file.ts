// The job protocol's events file: a job that has no IPC channel to its AutoML process (a
// Slurm job on another machine) appends each JobEvent as one JSON line to
// JOBDIR/events.jsonl and fsyncs it (the JSONL layer of src/util), so that a reader on a
// shared filesystem sees whole lines in order; the executor follows the file by offset.
// The path comes to the job in CLARA_EVENTS_FILE.
import { existsSync, statSync } from 'node:fs';
import { JsonlWriter, readJsonl } from '../util/jsonl.js';
import type { JobEvent } from './events.js';

/** Environment variable naming the events file of a job started without an IPC channel. */
export const EVENTS_FILE_ENV = 'CLARA_EVENTS_FILE';
/** The events file's name inside a job folder. */
export const EVENTS_FILE_NAME = 'events.jsonl';
const WHAT = "a job's events file holds one JSON event per line";

/** Appends events, one fsync'ed JSON line each (a requeued job continues the same file). */
export class EventFileWriter {
  private w: JsonlWriter<JobEvent> | undefined;

  constructor(readonly file: string) {}

  append(e: JobEvent): void {
    this.w ??= new JsonlWriter<JobEvent>(this.file, WHAT);
    this.w.append(e, true);
  }

  close(): void {
    this.w?.close();
    this.w = undefined;
  }
}

/** Reads the events appended since the last call; a line still being written waits for the next call. */
export class EventFileFollower {
  private offset = 0;
  /** Why the file can no longer be followed (a line that is not JSON), once it happened. */
  broken: string | undefined;

  constructor(readonly file: string) {}

  poll(): JobEvent[] {
    if (this.broken || !existsSync(this.file)) return [];
    if (statSync(this.file).size < this.offset) this.offset = 0; // a new job folder: start over
    try {
      const r = readJsonl<JobEvent>(this.file, this.offset, WHAT);
      this.offset = r.size;
      return r.lines.map((l) => l.value).filter((e) => typeof e === 'object' && e !== null && typeof e.type === 'string');
    } catch (e) {
      this.broken = (e as Error).message;
      return [];
    }
  }
}
