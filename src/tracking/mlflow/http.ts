// HTTP for the MLflow client: undici with retries on 408/429/5xx and connection errors,
// exponential backoff (factor * 2^attempt seconds, capped at 120 s) plus jitter, honouring
// Retry-After. Credentials go in the Authorization header and never into a message.
import { Agent, request, type Dispatcher } from 'undici';
import type { MlflowClientOptions } from './config.js';
import { redactUri } from './config.js';

export const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_BACKOFF_S = 120;

export class MlflowHttpError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly errorCode?: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'MlflowHttpError';
  }
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Path below the tracking URI, e.g. `/api/2.0/mlflow/runs/create`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: Buffer | Uint8Array;
  /** Overrides the options' maxRetries for this call. */
  maxRetries?: number;
}

/** Random jitter source; the default is Math.random (timing only, never results). */
export type Jitter = () => number;

export class MlflowHttp {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly auth?: string;

  constructor(
    readonly opts: MlflowClientOptions,
    private readonly jitter: Jitter = Math.random,
  ) {
    const u = new URL(opts.trackingUri);
    let user = opts.username,
      pass = opts.password;
    if (u.username || u.password) {
      user ??= decodeURIComponent(u.username);
      pass ??= decodeURIComponent(u.password);
      u.username = '';
      u.password = '';
    }
    this.base = u;
    if (opts.token) this.auth = `Bearer ${opts.token}`;
    else if (user !== undefined && pass !== undefined) this.auth = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    this.agent = new Agent({
      connect: { rejectUnauthorized: !opts.insecureTls, timeout: opts.timeout * 1000 },
      headersTimeout: opts.timeout * 1000,
      bodyTimeout: opts.timeout * 1000,
      keepAliveTimeout: 4000,
    });
  }

  /** The tracking URI without credentials. */
  get where(): string {
    return redactUri(this.base.toString()).replace(/\/$/, '');
  }

  url(path: string, query?: HttpRequest['query']): URL {
    const u = new URL(this.base.toString());
    u.pathname = (u.pathname.replace(/\/$/, '') + path).replace(/\/{2,}/g, '/');
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** Sends one request with retries; resolves the parsed JSON body (or {} when empty) or the raw bytes. */
  async send(req: HttpRequest & { raw?: false }): Promise<Record<string, unknown>>;
  async send(req: HttpRequest & { raw: true }): Promise<Buffer>;
  async send(req: HttpRequest & { raw?: boolean }): Promise<Record<string, unknown> | Buffer> {
    const url = this.url(req.path, req.query);
    const headers: Record<string, string> = { 'user-agent': 'clara-train' };
    if (this.auth) headers.authorization = this.auth;
    let body: string | Buffer | Uint8Array | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.body) {
      headers['content-type'] = 'application/octet-stream';
      body = req.body;
    }
    const maxRetries = req.maxRetries ?? this.opts.maxRetries;
    const what = `${req.method} ${this.where}${req.path}`;
    for (let attempt = 0; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method: req.method, headers, body, dispatcher: this.agent });
      } catch (e) {
        const msg = e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
        if (attempt < maxRetries) {
          await sleep(this.backoffMs(attempt));
          continue;
        }
        throw new MlflowHttpError(`${what} failed after ${attempt + 1} attempt(s): ${this.scrub(msg)}`, null, undefined, true);
      }
      const buf = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode >= 200 && res.statusCode < 300) {
        if (req.raw) return buf;
        if (buf.length === 0) return {};
        try {
          return JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
        } catch {
          return {};
        }
      }
      const retryable = RETRY_STATUS.has(res.statusCode);
      if (retryable && attempt < maxRetries) {
        const ra = retryAfterMs(res.headers['retry-after']);
        await sleep(ra ?? this.backoffMs(attempt));
        continue;
      }
      let code: string | undefined,
        message = buf.toString('utf8').slice(0, 500);
      try {
        const j = JSON.parse(buf.toString('utf8')) as { error_code?: string; message?: string };
        code = j.error_code;
        if (j.message) message = j.message;
      } catch {
        /* not JSON */
      }
      throw new MlflowHttpError(
        `${what}: HTTP ${res.statusCode}${code ? ` ${code}` : ''}: ${this.scrub(message)}` + (retryable ? ` (after ${attempt + 1} attempt(s))` : ''),
        res.statusCode,
        code,
        retryable,
      );
    }
  }

  /** Backoff before retry `attempt` (0-based): factor * 2^attempt seconds (capped) + jitter. */
  backoffMs(attempt: number): number {
    const base = Math.min(MAX_BACKOFF_S, this.opts.backoffFactor * 2 ** attempt);
    return (base + this.jitter() * this.opts.backoffJitter) * 1000;
  }

  /** Removes anything secret from a message. */
  private scrub(s: string): string {
    let out = redactUri(s);
    for (const secret of [this.opts.password, this.opts.token, this.auth]) {
      if (secret) out = out.split(secret).join('***');
    }
    return out;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Retry-After as ms (delta-seconds or an HTTP date), or undefined. */
export function retryAfterMs(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.min(MAX_BACKOFF_S, Number(v)) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, Math.min(MAX_BACKOFF_S * 1000, t - Date.now()));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
