// slurmrestd (OpenAPI v0.0.38, Slurm 22.05+) over undici: POST job/submit, GET jobs (one
// call per poll for the whole search), DELETE job/{id}. Authentication is a JWT from the
// environment (SLURM_JWT, as `scontrol token` prints it) sent as X-SLURM-USER-TOKEN with
// X-SLURM-USER-NAME; the token never appears in a message or a log.
import { userInfo } from 'node:os';
import { request } from 'undici';
import type { SlurmClient, SlurmJobInfo, SlurmSubmission } from './slurm-client.js';

export interface SlurmRestOptions {
  /** e.g. http://login1:6820 */
  url: string;
  /** X-SLURM-USER-NAME (default $SLURM_USER_NAME, else the current user). */
  user?: string;
  /** Environment to read SLURM_JWT from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** API version path (default v0.0.38). */
  version?: string;
  timeoutS?: number;
}

/** A Slurm time limit ('MM', 'MM:SS', 'HH:MM:SS', 'D-HH', 'D-HH:MM', 'D-HH:MM:SS') in whole minutes, rounded up. */
export function timeLimitMinutes(t: string): number {
  const [d, rest] = t.includes('-') ? [Number(t.split('-')[0]), t.split('-')[1]] : [0, t];
  const p = rest.split(':').map(Number);
  let s: number;
  if (t.includes('-')) s = (p[0] ?? 0) * 3600 + (p[1] ?? 0) * 60 + (p[2] ?? 0);
  else if (p.length === 1) s = p[0] * 60;
  else if (p.length === 2) s = p[0] * 60 + p[1];
  else s = p[0] * 3600 + p[1] * 60 + p[2];
  return Math.max(1, Math.ceil((d * 86400 + s) / 60));
}

export class SlurmRest implements SlurmClient {
  readonly kind = 'rest';
  private readonly base: string;
  private readonly user: string;

  constructor(private readonly o: SlurmRestOptions) {
    this.base = `${o.url.replace(/\/+$/, '')}/slurm/${o.version ?? 'v0.0.38'}`;
    this.user = o.user ?? (o.env ?? process.env).SLURM_USER_NAME ?? userInfo().username;
  }

  private token(): string {
    const t = (this.o.env ?? process.env).SLURM_JWT;
    if (!t) throw new Error('SLURM_JWT is not set: get a token with `scontrol token lifespan=SECONDS` and export it for slurmrestd');
    return t;
  }

  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const r = await request(`${this.base}${path}`, {
      method,
      headers: { 'X-SLURM-USER-NAME': this.user, 'X-SLURM-USER-TOKEN': this.token(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: (this.o.timeoutS ?? 60) * 1000,
      bodyTimeout: (this.o.timeoutS ?? 60) * 1000,
    });
    const text = await r.body.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { errors: [{ error: text.slice(0, 200) }] };
    }
    return { status: r.statusCode, json };
  }

  private static errors(j: any): string {
    const list = Array.isArray(j?.errors) ? j.errors : [];
    return list
      .map((e: any) => [e.error, e.description].filter(Boolean).join(': '))
      .filter(Boolean)
      .join('; ');
  }

  async submit(s: SlurmSubmission): Promise<string> {
    // A REST job gets no environment from a shell: the basics, then the job's own variables.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      LANG: process.env.LANG ?? 'C.UTF-8',
      ...s.env,
    };
    const job: Record<string, unknown> = {
      name: s.jobName,
      current_working_directory: s.workdir,
      standard_output: s.output,
      standard_error: s.output,
      environment: env,
      requeue: true,
    };
    if (s.partition) job.partition = s.partition;
    if (s.gres) job.gres = s.gres;
    if (s.cpusPerTask) job.cpus_per_task = s.cpusPerTask;
    if (s.mem) job.memory_per_node = memMiB(s.mem);
    if (s.time) job.time_limit = timeLimitMinutes(s.time);
    if (s.account) job.account = s.account;
    if (s.qos) job.qos = s.qos;
    const r = await this.call('POST', '/job/submit', { script: s.script, job });
    const id = r.json?.job_id;
    const err = SlurmRest.errors(r.json);
    if (r.status >= 300 || id === undefined || err) throw new Error(`slurmrestd job/submit failed (HTTP ${r.status}): ${err || 'no job_id in the answer'}`);
    return String(id);
  }

  async query(ids: string[]): Promise<Map<string, SlurmJobInfo>> {
    const out = new Map<string, SlurmJobInfo>();
    if (ids.length === 0) return out;
    const want = new Set(ids);
    const r = await this.call('GET', '/jobs');
    if (r.status >= 300) throw new Error(`slurmrestd jobs failed (HTTP ${r.status}): ${SlurmRest.errors(r.json)}`);
    for (const j of r.json?.jobs ?? []) {
      const id = String(j.job_id);
      if (!want.has(id)) continue;
      const info: SlurmJobInfo = { id, state: String(j.job_state ?? 'UNKNOWN') };
      if (j.state_reason && j.state_reason !== 'None') info.reason = String(j.state_reason);
      if (typeof j.exit_code === 'number') {
        info.exitCode = (j.exit_code >> 8) & 0xff;
        info.signal = j.exit_code & 0x7f;
      }
      out.set(id, info);
    }
    return out;
  }

  async cancel(ids: string[]): Promise<void> {
    for (const id of ids) {
      const r = await this.call('DELETE', `/job/${encodeURIComponent(id)}`);
      const err = SlurmRest.errors(r.json);
      if (r.status >= 300 && !/already completing|completed|Invalid job id/i.test(err))
        throw new Error(`slurmrestd cancel ${id} failed (HTTP ${r.status}): ${err}`);
    }
  }
}

/** '16G' → 16384 (MiB), as job/submit's memory_per_node wants. */
function memMiB(m: string): number {
  const x = /^(\d+)([KMGT]?)$/i.exec(m)!;
  const n = Number(x[1]);
  const u = x[2].toUpperCase();
  return u === 'K' ? Math.ceil(n / 1024) : u === 'G' ? n * 1024 : u === 'T' ? n * 1024 * 1024 : n;
}
