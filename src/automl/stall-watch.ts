// Notices a job that stopped making progress: no event from it (touch()) and no growth of
// its log file for `stallS` seconds. Polls the log's size a few times per period.
import { statSync } from 'node:fs';

export class StallWatch {
  private last = Date.now();
  private logSize = -1;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly stallS: number,
    private readonly logFile: string,
    onStall: (idleS: number) => void,
  ) {
    const periodMs = Math.max(50, Math.min(30_000, (stallS * 1000) / 4));
    this.timer = setInterval(() => {
      const size = this.size();
      if (size !== this.logSize) {
        this.logSize = size;
        this.last = Date.now();
      }
      const idle = (Date.now() - this.last) / 1000;
      if (idle >= this.stallS) {
        this.stop();
        onStall(idle);
      }
    }, periodMs);
    this.timer.unref();
  }

  private size(): number {
    try {
      return statSync(this.logFile).size;
    } catch {
      return -1;
    }
  }

  /** The job showed progress (an event arrived). */
  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
