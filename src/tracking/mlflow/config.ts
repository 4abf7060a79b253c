// MLflow's Python client environment variables, with its defaults (mlflow 3.x,
// mlflow/environment_variables.py): retries 7, backoff factor 2, jitter 1.0 s, timeout 120 s.
import { ClaraError } from '../../util/errors.js';

export interface MlflowClientOptions {
  /** http(s)://host[:port][/prefix] */
  trackingUri: string;
  username?: string;
  password?: string;
  token?: string;
  insecureTls: boolean;
  maxRetries: number;
  backoffFactor: number;
  backoffJitter: number;
  /** Seconds per request. */
  timeout: number;
}

export const DEFAULTS = { maxRetries: 7, backoffFactor: 2, backoffJitter: 1.0, timeout: 120 } as const;

function num(env: NodeJS.ProcessEnv, name: string, def: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new ClaraError(`environment variable ${name}='${raw}' is not a ${integer ? 'non-negative integer' : 'non-negative number'}`);
  }
  return v;
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ClaraError(`environment variable ${name}='${env[name]}' must be true/false or 1/0`);
}

/** Options from the environment; `overrides` win (e.g. a handler's tracking_uri). */
export function clientOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<MlflowClientOptions> = {}): MlflowClientOptions {
  const trackingUri = overrides.trackingUri ?? env.MLFLOW_TRACKING_URI ?? '';
  return {
    trackingUri,
    username: env.MLFLOW_TRACKING_USERNAME || undefined,
    password: env.MLFLOW_TRACKING_PASSWORD || undefined,
    token: env.MLFLOW_TRACKING_TOKEN || undefined,
    insecureTls: bool(env, 'MLFLOW_TRACKING_INSECURE_TLS'),
    maxRetries: num(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', DEFAULTS.maxRetries, true),
    backoffFactor: num(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', DEFAULTS.backoffFactor, false),
    backoffJitter: num(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_JITTER', DEFAULTS.backoffJitter, false),
    timeout: num(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT', DEFAULTS.timeout, false),
    ...stripUndefined(overrides),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The URI with its whole userinfo (up to the last @ before the path, raw @ in a password included) removed, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/[^/\s]*@/g, '//***@');
}

export function isHttpUri(uri: string | undefined): boolean {
  return !!uri && /^https?:\/\//i.test(uri);
}
