// Starts a real `mlflow server` (sqlite store, served artifacts) for tests; stops its whole
// process group. Skips (or under CI=true fails) when mlflow is not importable.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function mlflowAvailable(): string | null {
  const r = spawnSync('python3', ['-c', 'import mlflow; print(mlflow.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return null;
  return `python mlflow is not importable (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
}

/** A reason to skip, or false to run; under CI=true a missing mlflow throws instead. */
export function skipUnlessMlflow(): string | false {
  const why = mlflowAvailable();
  if (!why) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}: install it (pip install mlflow)`);
  return why;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export class MlflowTestServer {
  proc: ChildProcess | null = null;
  readonly dir: string;
  port = 0;

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'clara-mlflow-'));
  }

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port?: number, timeoutMs = 180_000): Promise<void> {
    this.port = port ?? this.port ?? 0;
    if (!this.port) this.port = await freePort();
    mkdirSync(join(this.dir, 'artifacts'), { recursive: true });
    const log = openSync(join(this.dir, `server-${Date.now()}.log`), 'a');
    this.proc = spawn(
      'mlflow',
      [
        'server',
        '--host',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--workers',
        '1',
        '--backend-store-uri',
        `sqlite:///${join(this.dir, 'db.sqlite')}`,
        '--artifacts-destination',
        join(this.dir, 'artifacts'),
      ],
      { detached: true, stdio: ['ignore', log, log], env: { ...process.env, MLFLOW_TRACKING_URI: '' } },
    );
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`mlflow server exited with ${this.proc.exitCode}; see ${this.dir}/server-*.log`);
      try {
        const r = await fetch(`${this.uri}/health`);
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    await this.stop();
    throw new Error(`mlflow server did not answer /health within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.pid === undefined) return;
    this.proc = null;
    if (p.exitCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    try {
      process.kill(-p.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await gone;
    clearTimeout(t);
    // Workers of the group may outlive the leader for a moment: wait until the port is free.
    for (let i = 0; i < 50; i++) {
      try {
        await fetch(`${this.uri}/health`);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** fetch that retries a connection the server closed while idle (keep-alive race). */
export async function fetchRetry(url: string, init?: RequestInit): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      return await fetch(url, init);
    } catch (e) {
      if (i >= 3) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** GET/POST JSON against the server's REST API (for assertions). */
export async function api(uri: string, path: string, body?: unknown): Promise<any> {
  const r = await fetchRetry(
    `${uri}/api/2.0/mlflow/${path}`,
    body === undefined
      ? {}
      : {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
  );
  const j = await r.json();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}
