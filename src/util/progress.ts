// A one-line progress bar on stderr (plain lines when stderr is not a terminal).

export interface ProgressOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** Minimum milliseconds between redraws. */
  intervalMs?: number;
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  tick(n = 1, extra = ''): void {
    this.done += n;
    const now = Date.now();
    const finished = this.done >= this.opts.total;
    if (!finished && now - this.lastDraw < (this.opts.intervalMs ?? (this.tty ? 100 : 2000))) return;
    this.lastDraw = now;
    this.stream.write(this.line(extra) + (this.tty && !finished ? '\r' : '\n'));
  }

  line(extra = ''): string {
    const { total, label } = this.opts;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - this.start) / 1000;
    const eta = frac > 0 && frac < 1 ? (elapsed / frac) * (1 - frac) : 0;
    return (
      `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${total} ${elapsed.toFixed(1)}s` +
      (eta > 0 ? ` eta ${eta.toFixed(1)}s` : '') +
      (extra ? ` ${extra}` : '')
    );
  }
}
