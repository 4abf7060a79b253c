// The measurement behind the CPU backend choice: a few train steps of the job's model on
// each candidate backend, each in its own child process (so neither backend's state
// leaks into the job), cached per machine, software and workload in the user cache
// (CLARA_CACHE_DIR, else ~/.cache/clara-train/backend-choice/), so that every later job
// of the same shape (an AutoML search) chooses at once.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendMeasure, BackendName } from '../engine/index.js';
import { claraCacheDir } from '../engine/setup/cache-dir.js';
import { addonCandidates } from '../native/loader.js';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import type { TrainWorkload } from './backend-workload.js';

const PROBE_STEPS = 3;
const CHILD_TIMEOUT_MS = 180_000;

/**
 * The build of the native kernels (size and time of the compiled addon): a rebuilt or upgraded
 * addon measures again instead of trusting figures of the kernels it replaced.
 */
function addonStamp(): string {
  for (const f of addonCandidates()) {
    try {
      const st = statSync(f);
      return `${st.size}:${Math.round(st.mtimeMs)}`;
    } catch {
      // not this candidate
    }
  }
  return 'none';
}

/** What makes a measurement valid elsewhere: CPU, threads, software versions and build, the workload. */
function probeKey(w: TrainWorkload, env: NodeJS.ProcessEnv = process.env): string {
  const c = cpus();
  return JSON.stringify({
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    node: process.versions.modules,
    addon: addonStamp(),
    threads: [env.CLARA_NUM_THREADS, env.TF_NUM_INTRAOP_THREADS, env.TF_NUM_INTEROP_THREADS, env.TF_ENABLE_ONEDNN_OPTS].map((x) => x ?? ''),
    model: w.model,
    input: w.input,
    steps: PROBE_STEPS,
    v: 1,
  });
}

function cacheFile(key: string, env: NodeJS.ProcessEnv): string {
  return join(claraCacheDir(env), 'backend-choice', `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`);
}

function runChild(backend: BackendName, w: TrainWorkload, env: NodeJS.ProcessEnv): Promise<number> {
  const script = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './backend-probe-child.ts' : './backend-probe-child.js', import.meta.url));
  const execArgv = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, script, JSON.stringify({ backend, model: w.model, input: w.input, steps: PROBE_STEPS })], {
      env: { ...env, CLARA_BACKEND: backend, TF_CPP_MIN_LOG_LEVEL: env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const r = JSON.parse(line) as { seconds?: number; error?: string };
        if (typeof r.seconds === 'number' && Number.isFinite(r.seconds)) return resolve(r.seconds);
        reject(new Error(`${backend}: ${r.error ?? 'no figure'}`));
      } catch {
        reject(new Error(`${backend}: probe ${signal ? `killed (${signal})` : `exited ${code}`}: ${err.trim().split('\n').pop() ?? ''}`));
      }
    });
  });
}

/** A BackendMeasure for this workload: cached figures, or one child per backend, one after the other. */
export function trainStepMeasure(w: TrainWorkload, o: { env?: NodeJS.ProcessEnv; log?: (s: string) => void } = {}): BackendMeasure {
  const env = o.env ?? process.env;
  return async (candidates) => {
    const key = probeKey(w, env);
    const file = cacheFile(key, env);
    if (existsSync(file)) {
      try {
        const c = JSON.parse(readFileSync(file, 'utf8')) as { key: string; seconds: Partial<Record<BackendName, number>> };
        if (c.key === key && candidates.every((b) => typeof c.seconds[b] === 'number')) return { ...c.seconds, cached: true };
      } catch {
        // unreadable: measure again and rewrite it
      }
    }
    o.log?.(`measuring a train step of ${w.model.name} on ${w.input.join('×')} with ${candidates.join(' and ')} (once per machine and model shape)`);
    const seconds: Partial<Record<BackendName, number>> = {};
    for (const b of candidates) seconds[b] = await runChild(b, w, env);
    writeJsonAtomic(file, { key, seconds, measuredAt: new Date().toISOString() });
    return seconds;
  };
}
