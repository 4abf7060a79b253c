// System metrics of a training job, sampled every 10 s by the job itself (so they work
// for local and cluster jobs alike): appended to <ckpt dir>/system_metrics.jsonl and
// streamed as `system_metrics` job events, which MLflow gets under MLflow's own
// system-metric names (mlflow/system_metrics: system/cpu_utilization_percentage,
// system/system_memory_usage_megabytes, system/system_memory_usage_percentage,
// system/gpu_<i>_utilization_percentage, system/gpu_<i>_memory_usage_megabytes,
// system/gpu_<i>_memory_usage_percentage — machine-wide, as MLflow measures them), plus
// the job process's own figures under system/process_cpu_utilization_percentage and
// system/process_rss_megabytes (names of ours: MLflow has none for one process).
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ClaraError } from '../util/errors.js';

const SYSTEM_METRICS_FILE = 'system_metrics.jsonl';
const DEFAULT_SYSTEM_METRICS_INTERVAL_S = 10;

interface GpuSample {
  index: number;
  util: number;
  memMb: number;
  memTotalMb: number;
}

/** One line of system_metrics.jsonl. */
export interface SystemSample {
  /** The sample's index in the job (MLflow's step); a resumed job continues its count. */
  i?: number;
  /** Seconds the job has sampled for (a resumed job continues from its last sample's). */
  t: number;
  /** ms since epoch. */
  time?: number;
  /** Machine-wide CPU utilisation, % of all cores. */
  cpu: number;
  /** The job process: % of one core (may exceed 100 with threads), resident set in MB. */
  procCpu?: number;
  rssMb?: number;
  /** Machine memory in use, MB and %. */
  memMb?: number;
  memPct?: number;
  gpuUtil?: number;
  gpuMemMb?: number;
  gpus?: GpuSample[];
}

/** MLflow metric names → values of a sample. */
export function systemMetricNames(s: SystemSample): Record<string, number> {
  const m: Record<string, number> = { 'system/cpu_utilization_percentage': s.cpu };
  if (s.memMb !== undefined) m['system/system_memory_usage_megabytes'] = s.memMb;
  if (s.memPct !== undefined) m['system/system_memory_usage_percentage'] = s.memPct;
  if (s.procCpu !== undefined) m['system/process_cpu_utilization_percentage'] = s.procCpu;
  if (s.rssMb !== undefined) m['system/process_rss_megabytes'] = s.rssMb;
  for (const g of s.gpus ?? []) {
    m[`system/gpu_${g.index}_utilization_percentage`] = g.util;
    m[`system/gpu_${g.index}_memory_usage_megabytes`] = g.memMb;
    if (g.memTotalMb > 0) m[`system/gpu_${g.index}_memory_usage_percentage`] = (100 * g.memMb) / g.memTotalMb;
  }
  return m;
}

/** The samples a job wrote into its checkpoint folder `ckptDir` (a torn last line is skipped). */
export function readSystemSamples(ckptDir: string): SystemSample[] {
  const f = join(ckptDir, SYSTEM_METRICS_FILE);
  if (!existsSync(f)) return [];
  const out: SystemSample[] = [];
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const s = JSON.parse(line) as SystemSample;
      if (typeof s.t === 'number' && typeof s.cpu === 'number') out.push(s);
    } catch {
      /* torn line */
    }
  }
  return out;
}

/** Parses `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(text: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(',').map((x) => Number(x.trim()));
    if (f.length >= 4 && f.every((x) => Number.isFinite(x))) out.push({ index: f[0], util: f[1], memMb: f[2], memTotalMb: f[3] });
  }
  return out;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0,
    total = 0;
  for (const c of cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

interface SamplerOptions {
  /** <ckpt dir>: the samples go to <dir>/system_metrics.jsonl. */
  dir: string;
  intervalS?: number;
  /** Called with each sample (the job streams it as an event). */
  onSample?: (s: SystemSample, index: number) => void;
  /** GPU ids to report (CUDA_VISIBLE_DEVICES); empty = all that nvidia-smi lists. */
  gpus?: string[];
  nvidiaSmi?: string;
  /** A resumed job: the index and time go on from the samples already in the file (no step is logged twice). */
  continues?: boolean;
}

/** Samples until stop(); the timer never keeps the process alive. */
export class SystemSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();
  private lastCpu = cpuTimes();
  private lastProc = process.cpuUsage();
  private lastWall = process.hrtime.bigint();
  private index = 0;
  /** Seconds sampled before this process (a resumed job's earlier runs). */
  private readonly tBase: number = 0;
  private busy = false;
  private readonly smi: string | undefined;
  readonly file: string;

  constructor(private readonly o: SamplerOptions) {
    this.file = join(o.dir, SYSTEM_METRICS_FILE);
    if (o.continues) {
      const prev = readSystemSamples(o.dir);
      this.index = prev.reduce((n, s, k) => Math.max(n, (s.i ?? k) + 1), 0);
      this.tBase = prev.at(-1)?.t ?? 0;
    }
    const smi = o.nvidiaSmi ?? 'nvidia-smi';
    this.smi = smi.includes('/') ? (existsSync(smi) ? smi : undefined) : onPath(smi) ? smi : undefined;
  }

  start(): this {
    const ms = Math.max(0.05, this.o.intervalS ?? DEFAULT_SYSTEM_METRICS_INTERVAL_S) * 1000;
    this.timer = setInterval(() => {
      void this.sample();
    }, ms);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private gpus(): Promise<GpuSample[]> {
    if (!this.smi) return Promise.resolve([]);
    return new Promise((res) => {
      execFile(this.smi!, ['--query-gpu=index,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'], { timeout: 5000 }, (err, stdout) => {
        if (err) return res([]);
        const want = (this.o.gpus ?? []).filter((g) => /^\d+$/.test(g)).map(Number);
        const all = parseNvidiaSmi(stdout);
        res(want.length ? all.filter((g) => want.includes(g.index)) : all);
      });
    });
  }

  /** Takes one sample now (also used by tests). */
  async sample(): Promise<SystemSample | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    try {
      const c = cpuTimes();
      const dTotal = c.total - this.lastCpu.total;
      const cpu = dTotal > 0 ? 100 * (1 - (c.idle - this.lastCpu.idle) / dTotal) : 0;
      this.lastCpu = c;
      const wall = process.hrtime.bigint();
      const proc = process.cpuUsage();
      const dWallUs = Number(wall - this.lastWall) / 1000;
      const procCpu = dWallUs > 0 ? (100 * (proc.user - this.lastProc.user + proc.system - this.lastProc.system)) / dWallUs : 0;
      this.lastWall = wall;
      this.lastProc = proc;
      const total = totalmem(),
        used = total - freemem();
      const gpus = await this.gpus();
      const r1 = (x: number) => Math.round(x * 10) / 10;
      const s: SystemSample = {
        i: this.index,
        t: r1(this.tBase + (Date.now() - this.t0) / 1000),
        time: Date.now(),
        cpu: r1(cpu),
        procCpu: r1(procCpu),
        rssMb: r1(process.memoryUsage.rss() / 1e6),
        memMb: r1(used / 1e6),
        memPct: r1((100 * used) / total),
        ...(gpus.length ? { gpus, gpuUtil: gpus.reduce((a, g) => a + g.util, 0) / gpus.length, gpuMemMb: gpus.reduce((a, g) => a + g.memMb, 0) } : {}),
      };
      try {
        mkdirSync(dirname(this.file), { recursive: true });
        appendFileSync(this.file, JSON.stringify(s) + '\n');
      } catch {
        /* a full disk never stops training */
      }
      this.index++;
      this.o.onSample?.(s, s.i!);
      return s;
    } finally {
      this.busy = false;
    }
  }
}

/** CLARA_SYSTEM_METRICS_INTERVAL_S: seconds between samples (default 10; 0 turns sampling off). */
export function systemMetricsInterval(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.CLARA_SYSTEM_METRICS_INTERVAL_S;
  if (v === undefined || v === '') return DEFAULT_SYSTEM_METRICS_INTERVAL_S;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ClaraError(`expected a number of seconds >= 0, got '${v}'`, { path: 'CLARA_SYSTEM_METRICS_INTERVAL_S' });
  return n;
}
