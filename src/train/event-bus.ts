// Delivers a training job's events to in-process handlers and, when the process was
// started with an IPC channel (an AutoML job), streams them to the parent as
// `{ claraJobEvent }`. A failing handler is reported once and never stops training.
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

export class EventBus {
  private readonly handlers: JobEventHandler[] = [];
  private readonly failed = new Set<JobEventHandler>();
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly send: EventSender | undefined = processSender(), private readonly warn: (m: string) => void = (m) => process.stderr.write(m + '\n')) {}

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
