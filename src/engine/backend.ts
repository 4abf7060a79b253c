// Backend choice: tfjs-node-gpu (CUDA workstation) → tfjs-node → pure tfjs 'cpu'
// with the addon's kernels registered over the hot ops ('cpu-native') → plain
// 'cpu'. CLARA_BACKEND forces one. On a CPU where both tfjs-node and cpu-native work,
// a caller that can measure (ChooseOptions.measure: the job's train step) picks the
// faster; without a measurement the list order decides. The choice, why, and the
// reason each other one was skipped is logged once and returned as a BackendInfo.
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { ClaraError } from '../util/errors.js';
import { native } from '../native/loader.js';
import { registerNativeKernels, unregisterNativeKernels } from './native-kernels.js';

export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'cpu-native', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  name: BackendName;
  /** tf.getBackend() after the choice ('tensorflow' or 'cpu'). */
  tfBackend: string;
  /** Our native kernels are registered over the 'cpu' kernels. */
  nativeKernels: boolean;
  /** Chosen through CLARA_BACKEND. */
  forced: boolean;
  /** Earlier candidates and why each was not used. */
  skipped: { name: BackendName; reason: string }[];
  /** Why this one ran: forced, measured (with the figures), or the list order. */
  reason: string;
  /** Seconds per train step of each measured backend, when the choice was measured. */
  measured?: Partial<Record<BackendName, number>>;
  /** Addon build facts when the native kernels are in use. */
  native?: { simd: string; bf16Dot: boolean; threads: number };
}

/** One line for logs and run tags. */
export function describeBackend(b: BackendInfo): string {
  const why = b.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  const nat = b.native ? ` (native ${b.native.simd}, bf16 dot ${b.native.bf16Dot ? 'yes' : 'emulated'}, ${b.native.threads} threads)` : '';
  return `backend ${b.name}${nat}${b.forced ? ' [forced by CLARA_BACKEND]' : ` [${b.reason}]`}${why ? ` — skipped ${why}` : ''}`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function gpuVisible(): string | undefined {
  const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `no NVIDIA driver tools (nvidia-smi: ${firstLine(r.error)})`;
  if (r.status !== 0 || !/GPU \d+/.test(r.stdout)) return 'nvidia-smi lists no GPU';
  return undefined;
}

async function tryTfjsNode(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<string | undefined> {
  try {
    await import(pkg);
  } catch (e) {
    const msg = firstLine(e);
    return /Cannot find (package|module)/.test(msg)
      ? `${pkg} is not installed (clara-train setup tensorflow${pkg.endsWith('gpu') ? ' --gpu' : ''} installs it)`
      : `${pkg} failed to load: ${msg} (rerun clara-train setup tensorflow${pkg.endsWith('gpu') ? ' --gpu' : ''})`;
  }
  // Our kernels are registered for 'cpu' only; unregister them anyway so that nothing of
  // the native path (its Relu/Tile gradients, the upsampling kernel) is in play here.
  unregisterNativeKernels();
  try {
    if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but the 'tensorflow' backend did not initialise`;
    await tf.ready();
  } catch (e) {
    return `${pkg}: ${firstLine(e)}`;
  }
  return undefined;
}

async function tryCpuNative(): Promise<string | undefined> {
  try {
    native();
  } catch (e) {
    return `native addon unavailable: ${firstLine(e)}`;
  }
  try {
    registerNativeKernels();
    if (!(await tf.setBackend('cpu'))) return "tfjs 'cpu' backend did not initialise";
    await tf.ready();
  } catch (e) {
    unregisterNativeKernels();
    return firstLine(e);
  }
  return undefined;
}

async function tryCpu(): Promise<string | undefined> {
  unregisterNativeKernels();
  return (await tf.setBackend('cpu')) ? undefined : "tfjs 'cpu' backend did not initialise";
}

const attempts: Record<BackendName, () => Promise<string | undefined>> = {
  'tfjs-node-gpu': async () => gpuVisible() ?? tryTfjsNode('@tensorflow/tfjs-node-gpu'),
  'tfjs-node': () => tryTfjsNode('@tensorflow/tfjs-node'),
  'cpu-native': tryCpuNative,
  cpu: tryCpu,
};

/** Parses CLARA_BACKEND (undefined when unset or empty). */
export function forcedBackend(env: NodeJS.ProcessEnv = process.env): BackendName | undefined {
  const v = env.CLARA_BACKEND?.trim();
  if (!v) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(v))
    throw new ClaraError(`CLARA_BACKEND='${v}' is not a backend; expected one of ${BACKEND_NAMES.join(', ')}`, { path: 'env.CLARA_BACKEND' });
  return v as BackendName;
}

let chosen: Promise<BackendInfo> | undefined;

/** Seconds per train step of the job on each candidate (a child process per backend); throws when it cannot measure. */
export type BackendMeasure = (candidates: BackendName[]) => Promise<Partial<Record<BackendName, number>> & { cached?: boolean }>;

export interface ChooseOptions {
  /** Overrides CLARA_BACKEND. */
  force?: BackendName;
  /** Measures the job's train step when more than one CPU backend works. */
  measure?: BackendMeasure;
  /** Where the one log line goes (default: stderr). */
  log?: (line: string) => void;
}

/** Picks (once per process) and activates the backend; later calls return the same info. */
export function chooseBackend(opts: ChooseOptions = {}): Promise<BackendInfo> {
  chosen ??= pick(opts);
  return chosen;
}

/** Forgets the choice (tests only): the next chooseBackend picks again. */
export function resetBackendChoice(): void {
  chosen = undefined;
}

async function pick(opts: ChooseOptions): Promise<BackendInfo> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`clara-train engine: ${l}\n`));
  const force = opts.force ?? forcedBackend();
  const skipped: BackendInfo['skipped'] = [];
  const order: BackendName[] = force ? [force] : [...BACKEND_NAMES];
  let reason = force ? 'forced by CLARA_BACKEND' : 'first usable in the order tfjs-node-gpu, tfjs-node, cpu-native, cpu';
  let measured: BackendInfo['measured'];
  for (let i = 0; i < order.length; i++) {
    let name = order[i];
    const failed = await attempts[name]();
    if (failed !== undefined) {
      if (force) {
        chosen = undefined;
        throw new ClaraError(`CLARA_BACKEND=${force} cannot be used: ${failed}`, { path: 'env.CLARA_BACKEND' });
      }
      skipped.push({ name, reason: failed });
      continue;
    }
    // tfjs-node works on this CPU: if cpu-native works too, the faster for this job runs.
    if (!force && name === 'tfjs-node' && opts.measure) {
      const alt = await tryCpuNative();
      if (alt === undefined) {
        try {
          const m = await opts.measure(['tfjs-node', 'cpu-native']);
          const tn = m['tfjs-node'];
          const cn = m['cpu-native'];
          if (typeof tn === 'number' && typeof cn === 'number') {
            measured = { 'tfjs-node': tn, 'cpu-native': cn };
            name = cn < tn ? 'cpu-native' : 'tfjs-node';
            const other = name === 'cpu-native' ? 'tfjs-node' : 'cpu-native';
            reason = `measured: train step ${name} ${fmt(measured[name]!)} vs ${other} ${fmt(measured[other]!)}${m.cached ? ' (cached)' : ''}`;
            skipped.push({ name: other, reason: `slower for this job (${fmt(measured[other]!)} per step)` });
          } else reason += ' (the measurement gave no figures)';
        } catch (e) {
          reason += ` (could not measure: ${firstLine(e)})`;
        }
        const again = await attempts[name]();
        if (again !== undefined) {
          chosen = undefined;
          throw new ClaraError(`backend ${name} worked and then failed: ${again}`);
        }
      } else {
        skipped.push({ name: 'cpu-native', reason: alt });
        if (!(await tf.setBackend('tensorflow'))) throw new ClaraError("the 'tensorflow' backend did not initialise again");
        reason = 'the only fast CPU backend that works';
      }
    }
    const info: BackendInfo = { name, tfBackend: tf.getBackend(), nativeKernels: name === 'cpu-native', forced: !!force, reason, skipped };
    if (measured) info.measured = measured;
    if (name === 'cpu-native') {
      const n = native();
      const i = n.info();
      info.native = { simd: i.simd, bf16Dot: n.conv3dBf16Dot, threads: i.threads };
    }
    log(describeBackend(info));
    return info;
  }
  chosen = undefined;
  throw new ClaraError(`no TensorFlow.js backend could be used: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

function fmt(s: number): string {
  return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`;
}
