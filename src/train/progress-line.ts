// The training progress line: epoch, iteration, loss, key metric, samples/s, ETA.
// Redrawn in place on a terminal, a plain line per epoch (and every few seconds) otherwise.

export interface ProgressState {
  epoch: number; // 1-based
  totalEpochs: number;
  iteration: number; // 1-based within the epoch
  iterationsPerEpoch?: number;
  loss: number;
  keyMetricName: string;
  keyMetric?: number | null;
  best?: number | null;
  bestEpoch?: number | null;
  samplesPerS: number;
  /** Seconds left for the whole run. */
  etaS?: number;
  lr?: number;
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function formatProgress(p: ProgressState): string {
  const it = p.iterationsPerEpoch ? `${p.iteration}/${p.iterationsPerEpoch}` : `${p.iteration}`;
  const parts = [`epoch ${p.epoch}/${p.totalEpochs}`, `it ${it}`, `loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : String(p.loss)}`];
  if (p.keyMetric !== undefined && p.keyMetric !== null) parts.push(`${p.keyMetricName} ${p.keyMetric.toFixed(4)}`);
  if (p.best !== undefined && p.best !== null) parts.push(`best ${p.best.toFixed(4)}@${p.bestEpoch}`);
  if (p.lr !== undefined) parts.push(`lr ${p.lr.toExponential(2)}`);
  parts.push(`${p.samplesPerS.toFixed(2)} samples/s`);
  if (p.etaS !== undefined) parts.push(`eta ${formatDuration(p.etaS)}`);
  return parts.join('  ');
}

export class ProgressLine {
  private lastDraw = 0;
  private readonly tty: boolean;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
    private readonly intervalMs?: number,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(p: ProgressState, force = false): void {
    if (this.quiet) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.intervalMs ?? (this.tty ? 200 : 5000))) return;
    this.lastDraw = now;
    const line = formatProgress(p);
    this.stream.write(this.tty ? `\r\x1b[K${line}` : `${line}\n`);
  }

  /** Ends the in-place line with a newline and prints a message. */
  log(msg: string): void {
    if (this.quiet) return;
    this.stream.write(this.tty ? `\r\x1b[K${msg}\n` : `${msg}\n`);
  }
}
