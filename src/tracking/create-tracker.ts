// Picks the sink for a tracking URI and builds the journal-first tracker:
//   http(s)://...          → MLflow server (background replay, outage-tolerant)
//   file:/path or a path   → an mlruns folder there
//   nothing (and no MLFLOW_TRACKING_URI) → ./mlruns
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { JournalTracker } from './journal-tracker.js';
import { MlflowClient } from './mlflow/client.js';
import { clientOptionsFromEnv, isHttpUri, redactUri } from './mlflow/config.js';
import { MlflowServerSink } from './sinks/server-sink.js';
import { MlrunsSink } from './sinks/mlruns-sink.js';
import type { Sink, SinkLog } from './sinks/sink.js';
import { ClaraError } from '../util/errors.js';

export const DEFAULT_EXPERIMENT = 'Default';

export interface TrackingSetup {
  /** The journal file (e.g. automl/<run_id>/tracking.jsonl). */
  journal: string;
  /** A tracking URI; defaults to $MLFLOW_TRACKING_URI, then ./mlruns. */
  trackingUri?: string;
  /** Defaults to $MLFLOW_EXPERIMENT_NAME, then `fallbackExperiment`, then 'Default'. */
  experimentName?: string;
  fallbackExperiment?: string;
  env?: NodeJS.ProcessEnv;
  log?: SinkLog;
  /** For the background server sink: retries per request before the replay loop takes over. */
  requestRetries?: number;
  flushTimeoutMs?: number;
  /** Replay retry timer (tests shorten it). */
  retry?: { minMs: number; maxMs: number };
}

export function resolveTrackingUri(uri: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return uri || env.MLFLOW_TRACKING_URI || 'mlruns';
}

/** A stable state-file name per (journal, destination). */
export function sinkStateFile(journal: string, destination: string): string {
  const h = createHash('sha256').update(redactUri(destination)).digest('hex').slice(0, 10);
  return `${resolve(journal)}.sink-${h}.json`;
}

export function createSink(
  journal: string,
  uri: string,
  opts: {
    env?: NodeJS.ProcessEnv;
    log?: SinkLog;
    requestRetries?: number;
    retry?: { minMs: number; maxMs: number };
  } = {},
): Sink {
  const env = opts.env ?? process.env;
  if (isHttpUri(uri)) {
    const o = clientOptionsFromEnv(env, { trackingUri: uri });
    if (opts.requestRetries !== undefined) o.maxRetries = Math.min(o.maxRetries, opts.requestRetries);
    return new MlflowServerSink(new MlflowClient(o), journal, sinkStateFile(journal, uri), opts.log, opts.retry);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith('file:')) {
    throw new ClaraError(`tracking URI '${redactUri(uri)}' is not supported; use http(s)://host:port, file:/path or a folder path`);
  }
  const root = uri.startsWith('file:') ? fileURLToPath(uri.startsWith('file://') ? uri : `file://${uri.slice(5)}`) : resolve(uri);
  return new MlrunsSink(root, journal, sinkStateFile(journal, `file:${root}`), opts.log);
}

export function createTracker(s: TrackingSetup): JournalTracker {
  const env = s.env ?? process.env;
  const uri = resolveTrackingUri(s.trackingUri, env);
  const experimentName = s.experimentName || env.MLFLOW_EXPERIMENT_NAME || s.fallbackExperiment || DEFAULT_EXPERIMENT;
  // Background replay: few retries per request; the replay loop retries for as long as it takes.
  const sink = createSink(s.journal, uri, { env, log: s.log, requestRetries: s.requestRetries ?? 2, retry: s.retry });
  return new JournalTracker({ journal: s.journal, experimentName, sinks: [sink], flushTimeoutMs: s.flushTimeoutMs });
}

/** Sends everything in `journal` that `uri` does not have yet (clara-train mlflow sync). */
export async function syncJournal(journal: string, uri: string, opts: { env?: NodeJS.ProcessEnv; log?: SinkLog } = {}) {
  const sink = createSink(journal, uri, { env: opts.env, log: opts.log });
  try {
    return await sink.drain();
  } finally {
    await sink.close();
  }
}
