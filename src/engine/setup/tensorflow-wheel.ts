// PyPI's TensorFlow as a libtensorflow: `pip download` the wheel (cached), unpack its two
// shared libraries and its C headers, and for the CUDA build the nvidia-*-cu12 runtime
// wheels it declares under the `and-cuda` extra, laid out as the wheel expects them
// (tensorflow/ next to nvidia/<pkg>/lib, which its RUNPATH $ORIGIN/../nvidia/... finds).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClaraError } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/atomic-fs.js';

export type TfVariant = 'cpu' | 'gpu';

/** The TensorFlow release `setup tensorflow` uses unless --tf-version says otherwise. */
export const DEFAULT_TF_VERSION = '2.21.0';

/** PyPI project of each variant: the CPU-only build, or the CUDA build. */
function wheelProject(variant: TfVariant): string {
  return variant === 'gpu' ? 'tensorflow' : 'tensorflow-cpu';
}

/** The libraries of a libtensorflow, as the wheel names them (their SONAMEs). */
export const TF_LIBS = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'] as const;

export interface UnpackedTf {
  version: string;
  variant: TfVariant;
  /** Folder holding tensorflow/{libtensorflow_cc.so.2, libtensorflow_framework.so.2, include/} (and nvidia/ for gpu). */
  dir: string;
  libDir: string;
  includeDir: string;
  /** Present for gpu: nvidia/<pkg>/lib folders. */
  nvidiaDir?: string;
  wheel: string;
  /** True when everything was already in the cache. */
  cached: boolean;
}

export function checkVersion(v: string): string {
  if (!/^\d+\.\d+\.\d+([a-z]+\d+)?$/.test(v))
    throw new ClaraError(`--tf-version '${v}' is not a TensorFlow release number (e.g. ${DEFAULT_TF_VERSION})`, { path: '--tf-version' });
  return v;
}

function lastLines(s: string, n = 2): string {
  return s
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join(' | ');
}

function findWheel(dir: string, project: string, version: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const prefix = `${project.replace(/-/g, '_')}-${version}-`;
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.whl'))
    .sort()
    .map((f) => join(dir, f))[0];
}

/** `pip download` one or more requirements (no dependencies, binary wheels only) into `dest`. */
function pipDownload(python: string, dest: string, reqs: string[], log: (s: string) => void): void {
  mkdirSync(dest, { recursive: true });
  log(`pip download ${reqs.join(' ')}`);
  const r = spawnSync(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--progress-bar', 'off', '-d', dest, ...reqs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  if (r.error || r.status !== 0)
    throw new ClaraError(`setup tensorflow: pip could not download ${reqs.join(' ')}: ${lastLines(r.stderr || r.error?.message || '') || `exit ${r.status}`}`);
}

// Unzips members of wheels (zip files) selected by prefix into a folder; prints the
// requirements of an extra when asked. Python's zipfile: no unzip binary needed.
const PY_UNZIP = `
import json, sys, zipfile
op = sys.argv[1]
if op == 'extract':
    dest, prefixes, wheels = sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:]
    for w in wheels:
        with zipfile.ZipFile(w) as z:
            for m in z.infolist():
                if any(m.filename.startswith(p) for p in prefixes) and not m.filename.endswith('/'):
                    z.extract(m, dest)
elif op == 'extra':
    extra, wheel = sys.argv[2], sys.argv[3]
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
        out = []
        for line in z.read(meta).decode().splitlines():
            if line.startswith('Requires-Dist:') and ('extra == "%s"' % extra) in line:
                out.append(line.split(':', 1)[1].split(';')[0].strip().replace(' ', ''))
        print(json.dumps(out))
`;

function py(python: string, args: string[], what: string): string {
  const r = spawnSync(python, ['-c', PY_UNZIP, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0)
    throw new ClaraError(`setup tensorflow: ${what} failed: ${lastLines(r.stderr || r.error?.message || '') || `exit ${r.status}`}`);
  return r.stdout;
}

/** The requirements the wheel lists under an extra (`and-cuda`): ["nvidia-cublas-cu12<13.0,>=12.5.3.2", ...]. */
function wheelExtraRequirements(python: string, wheel: string, extra: string): string[] {
  return JSON.parse(py(python, ['extra', extra, wheel], `reading ${wheel}'s requirements`)) as string[];
}

/** A downloaded wheel of requirement `req` ("nvidia-cublas-cu12<13.0,>=12.5") in `dir`, newest name last. */
function wheelFor(dir: string, req: string): string | undefined {
  const name = req
    .split(/[<>=!~ ]/)[0]
    .replace(/[-.]/g, '_')
    .toLowerCase();
  const f = readdirSync(dir)
    .filter((x) => x.toLowerCase().startsWith(name + '-') && x.endsWith('.whl'))
    .sort()
    .pop();
  return f ? join(dir, f) : undefined;
}

const MARKER = '.clara-unpacked.json';

/**
 * A TensorFlow already installed by pip (`pip install tensorflow[and-cuda]`): `dir` is the
 * site-packages folder holding tensorflow/ (and nvidia/ for the CUDA build). Nothing is
 * downloaded or copied; the libraries are used where they are.
 */
export function existingTensorflow(dir: string, variant: TfVariant): UnpackedTf {
  const libDir = join(dir, 'tensorflow');
  for (const l of TF_LIBS)
    if (!existsSync(join(libDir, l)))
      throw new ClaraError(`setup tensorflow --from: ${join(libDir, l)} does not exist (give the site-packages folder that holds tensorflow/)`, {
        path: '--from',
      });
  const includeDir = join(libDir, 'include');
  if (!existsSync(join(includeDir, 'tensorflow', 'c', 'eager', 'c_api.h')))
    throw new ClaraError(`setup tensorflow --from: ${includeDir} has no tensorflow/c/eager/c_api.h`, { path: '--from' });
  const nvidiaDir = variant === 'gpu' ? join(dir, 'nvidia') : undefined;
  if (nvidiaDir && !existsSync(nvidiaDir))
    throw new ClaraError(`setup tensorflow --gpu --from: ${nvidiaDir} does not exist (install tensorflow[and-cuda], which brings the nvidia-*-cu12 wheels)`, {
      path: '--from',
    });
  const m = /^(\d+\.\d+\.\d+)/.exec(
    readdirSync(dir)
      .find((f) => /^tensorflow(_cpu)?-\d.*\.dist-info$/.test(f))
      ?.replace(/^tensorflow(_cpu)?-/, '') ?? '',
  );
  return { version: m?.[1] ?? 'unknown', variant, dir, libDir, includeDir, nvidiaDir, wheel: `(installed in ${dir})`, cached: true };
}

/**
 * Makes sure the libraries (and headers) of TensorFlow `version` are unpacked in the
 * cache: downloads the wheel(s) when missing, unpacks when the folder has no completion
 * marker (a folder a killed run left half-unpacked is wiped and redone).
 */
export function ensureTensorflow(o: { cacheDir: string; version: string; variant: TfVariant; python: string; log: (s: string) => void }): UnpackedTf {
  const { cacheDir, version, variant, python, log } = o;
  const project = wheelProject(variant);
  const wheels = join(cacheDir, 'wheels');
  const dir = join(cacheDir, 'tensorflow', `${version}-${variant}`);
  const res = (wheel: string, cached: boolean): UnpackedTf => ({
    version,
    variant,
    dir,
    libDir: join(dir, 'tensorflow'),
    includeDir: join(dir, 'tensorflow', 'include'),
    nvidiaDir: variant === 'gpu' ? join(dir, 'nvidia') : undefined,
    wheel,
    cached,
  });
  const marker = join(dir, MARKER);
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as { wheel?: string };
    if (TF_LIBS.every((l) => existsSync(join(dir, 'tensorflow', l)))) return res(m.wheel ?? '', true);
  }
  let wheel = findWheel(wheels, project, version);
  if (!wheel) {
    pipDownload(python, wheels, [`${project}==${version}`], log);
    wheel = findWheel(wheels, project, version);
    if (!wheel) throw new ClaraError(`setup tensorflow: pip reported success but no ${project} ${version} wheel is in ${wheels}`);
  } else log(`using the cached wheel ${wheel}`);
  const all = [wheel];
  if (variant === 'gpu') {
    const reqs = wheelExtraRequirements(python, wheel, 'and-cuda');
    if (reqs.length === 0)
      throw new ClaraError(`setup tensorflow --gpu: ${wheel} declares no 'and-cuda' requirements; pick a --tf-version that does (>= 2.14)`);
    const missing = reqs.filter((r) => !wheelFor(wheels, r));
    if (missing.length) pipDownload(python, wheels, missing, log);
    for (const r of reqs) {
      const f = wheelFor(wheels, r);
      if (!f) throw new ClaraError(`setup tensorflow --gpu: ${r} is not in ${wheels} after pip download`);
      all.push(f);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`unpacking ${all.length} wheel(s) into ${dir}`);
  py(python, ['extract', dir, JSON.stringify([...TF_LIBS.map((l) => `tensorflow/${l}`), 'tensorflow/include/', 'nvidia/']), ...all], 'unpacking');
  for (const l of TF_LIBS)
    if (!existsSync(join(dir, 'tensorflow', l)))
      throw new ClaraError(`setup tensorflow: ${wheel} has no tensorflow/${l}; it is not a TensorFlow >= 2.x Linux wheel`);
  if (!existsSync(join(dir, 'tensorflow', 'include', 'tensorflow', 'c', 'eager', 'c_api.h')))
    throw new ClaraError(`setup tensorflow: ${wheel} has no tensorflow/include/tensorflow/c/eager/c_api.h`);
  writeJsonAtomic(marker, { version, variant, wheel, wheels: all, unpacked: new Date().toISOString() });
  return res(wheel, false);
}
