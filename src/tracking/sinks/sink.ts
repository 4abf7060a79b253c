// A sink replays a tracking journal somewhere (an MLflow server, an mlruns folder),
// remembering in its own state file how far it got, so nothing is sent twice.

export interface DrainResult {
  /** Journal events applied in this drain. */
  applied: number;
  /** Bytes of journal still to apply (0 when caught up). */
  remainingBytes: number;
  /** The error that stopped the drain (the server is down ...), if any. */
  error?: string;
}

export interface Sink {
  /** A short description without credentials (for messages). */
  readonly description: string;
  /** New events are in the journal: apply them soon (in the background). */
  notify(): void;
  /** Applies what it can now; never throws for an unreachable server (see `error`). */
  drain(): Promise<DrainResult>;
  /** Waits until caught up or `timeoutMs` passed; true when caught up. */
  flush(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export type SinkLog = (msg: string) => void;

export const defaultSinkLog: SinkLog = (msg) => process.stderr.write(`tracking: ${msg}\n`);
