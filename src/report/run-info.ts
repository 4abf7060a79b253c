// automl/<run_id>/run_info.json: the machine and software a search ran on (written when
// it starts, so a report made elsewhere still shows them).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readJsonFile } from '../util/json-file.js';
import { cpus, hostname, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic-fs.js';

export interface RunInfo {
  host: string;
  os: string;
  cpuModel: string;
  cpus: number;
  memoryGb: number;
  node: string;
  gpus: string[];
  backend?: string;
  controller?: string;
  controllerArgs?: unknown;
  workers?: unknown;
  /** True when read from this machine because the run folder had none. */
  here?: boolean;
}

function gpuNames(): string[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

export function collectRunInfo(props: Record<string, unknown> = {}): RunInfo {
  const c = cpus();
  return {
    host: hostname(),
    os: `${platform()} ${release()}`,
    cpuModel: c[0]?.model?.trim() ?? 'unknown',
    cpus: c.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    gpus: gpuNames(),
    ...(typeof props.backend === 'string' ? { backend: props.backend } : {}),
    ...(typeof props.controller === 'string' ? { controller: props.controller } : {}),
    ...(props.controller_args !== undefined ? { controllerArgs: props.controller_args } : {}),
    ...(props.workers !== undefined ? { workers: props.workers } : {}),
  };
}

export function writeRunInfo(runRoot: string, props: Record<string, unknown>): void {
  writeJsonAtomic(join(runRoot, 'run_info.json'), collectRunInfo(props));
}

export function readRunInfo(runRoot: string): RunInfo | undefined {
  const f = join(runRoot, 'run_info.json');
  if (!existsSync(f)) return undefined;
  try {
    return readJsonFile(f) as RunInfo;
  } catch {
    return undefined;
  }
}
