// Delivers a training job's events to in-process handlers and, when the process was
// started with an IPC channel (an AutoML job), streams them to the parent as
// `{ claraJobEvent }`. A failing handler is reported once and never stops training.
import { EVENTS_FILE_ENV, EventFileWriter } from '../jobs/event-file.js';
import type { JobEvent, JobEventHandler, JobEventType } from '../jobs/events.js';

export type EventSender = (msg: unknown) => Promise<void>;

/** process.send as a promise, or undefined when there is no IPC channel. */
export function processSender(): EventSender | undefined {
  if (typeof process.send !== 'function' || !process.connected) return undefined;
  return (msg) =>
    new Promise<void>((resolve) => {
      if (!process.connected || typeof process.send !== 'function') return resolve();
      try {
        process.send(msg, undefined, {}, () => resolve());
      } catch {
        resolve();
      }
    });
}

/** Without an IPC channel, a job started by a cluster executor appends its events to $CLARA_EVENTS_FILE. */
export function fileSender(file: string | undefined = process.env[EVENTS_FILE_ENV]): EventSender | undefined {
  if (!file) return undefined;
  const w = new EventFileWriter(file);
  let warned = false;
  return async (msg) => {
    const m = msg as { claraJobEvent?: JobEvent };
    try {
      if (m.claraJobEvent) w.append(m.claraJobEvent);
    } catch (e) {
      // Like a lost IPC channel: the job goes on, its score still comes from train_stats.json.
      if (!warned) process.stderr.write(`warning: could not append to ${file}: ${(e as Error).message}\n`);
      warned = true;
    }
  };
}

export class EventBus {
  private readonly handlers: JobEventHandler[] = [];
  private readonly failed = new Set<JobEventHandler>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: EventSender | undefined = processSender() ?? fileSender(),
    private readonly warn: (m: string) => void = (m) => process.stderr.write(m + '\n'),
  ) {}

  add(h: JobEventHandler): void {
    this.handlers.push(h);
  }

  get hasParent(): boolean {
    return this.send !== undefined;
  }

  /** Emits an event; iteration_end events are not awaited by the trainer for speed, others are. */
  async emit(type: JobEventType, fields: Omit<JobEvent, 'type' | 'time'> = {}): Promise<void> {
    const e: JobEvent = { type, time: Date.now(), ...fields };
    const p = this.pending.then(() => this.deliver(e));
    this.pending = p;
    return p;
  }

  private async deliver(e: JobEvent): Promise<void> {
    if (this.send) await this.send({ claraJobEvent: e });
    for (const h of this.handlers) {
      if (this.failed.has(h)) continue;
      try {
        await h.onJobEvent(e);
      } catch (err) {
        this.failed.add(h);
        this.warn(`warning: event handler ${h.constructor?.name ?? 'handler'} failed on ${e.type} and is switched off: ${(err as Error).message}`);
      }
    }
  }

  /** Waits for every queued event, then closes the handlers. */
  async close(status: 'finished' | 'failed'): Promise<void> {
    await this.pending;
    for (const h of this.handlers) {
      try {
        await h.close?.(status);
      } catch (err) {
        this.warn(`warning: closing event handler failed: ${(err as Error).message}`);
      }
    }
  }

  async flush(): Promise<void> {
    await this.pending;
  }
}
