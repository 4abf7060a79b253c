// Loads tfjs-node(-gpu) in a child process (a broken libtensorflow cannot take this process
// down) and reports what TensorFlow says about itself: version, oneDNN, devices.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface TfProbe {
  ok: boolean;
  package: string;
  tfVersion?: string;
  /** 'on' / 'off' as TensorFlow logs it at start-up; 'unknown' when it said nothing. */
  onednn: 'on' | 'off' | 'unknown';
  devices: string[];
  gpu: boolean;
  conv3dMaxDiffVsCpu?: number;
  error?: string;
  seconds: number;
}

/** Reads TensorFlow's start-up log (stderr) for oneDNN and device lines. */
export function parseTfLog(stderr: string): { onednn: TfProbe['onednn']; devices: string[] } {
  const onednn = /oneDNN custom operations are on/.test(stderr)
    ? 'on'
    : /oneDNN custom operations are off|TF_ENABLE_ONEDNN_OPTS=0/.test(stderr)
      ? 'off'
      : 'unknown';
  const devices: string[] = [];
  for (const m of stderr.matchAll(/Created device \/job:\S+?device:((?:GPU|CPU):\d+)([^\n]*)/g)) {
    const name = /name: ([^,\n]+)/.exec(m[2])?.[1];
    const d = m[1] + (name ? ` (${name.trim()})` : '');
    if (!devices.includes(d)) devices.push(d);
  }
  return { onednn, devices };
}

export function probeTensorflow(variant: 'cpu' | 'gpu', env: NodeJS.ProcessEnv = process.env): TfProbe {
  const fromTs = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(fromTs ? './tensorflow-probe.ts' : './tensorflow-probe.js', import.meta.url));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...(fromTs ? ['--import', 'tsx'] : []), script, variant], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...env, TF_CPP_MIN_LOG_LEVEL: '0' },
    maxBuffer: 64 << 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  const pkg = variant === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const log = parseTfLog(r.stderr ?? '');
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let out: { tfVersion?: string; gpu?: boolean; conv3dMaxDiffVsCpu?: number; error?: string } = {};
  try {
    out = JSON.parse(line) as typeof out;
  } catch {
    const lines = (r.stderr ?? '').split('\n').filter((l) => l.trim());
    const why = r.error
      ? r.error.message
      : r.signal
        ? `killed by ${r.signal}`
        : (lines.find((l) => /Error|error:/.test(l))?.trim() ?? lines.slice(-1)[0] ?? `exit ${r.status}`);
    return { ok: false, package: pkg, onednn: log.onednn, devices: log.devices, gpu: false, error: why, seconds };
  }
  const devices = log.devices.length ? log.devices : out.gpu ? ['GPU'] : ['CPU'];
  return {
    ok: !out.error,
    package: pkg,
    tfVersion: out.tfVersion,
    onednn: log.onednn,
    devices,
    gpu: out.gpu ?? false,
    conv3dMaxDiffVsCpu: out.conv3dMaxDiffVsCpu,
    error: out.error,
    seconds,
  };
}
