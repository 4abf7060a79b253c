// Checks made before `setup tensorflow` downloads anything: each failure is one line that
// says what is missing and how to get it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ClaraError } from '../../util/errors.js';

/** glibc the PyPI TensorFlow wheels are built for (their manylinux tag). */
const MIN_GLIBC = '2.27';

function firstLine(s: string | undefined): string {
  return (s ?? '').trim().split('\n')[0] ?? '';
}

/** The running glibc version ('2.36'), undefined when not glibc (musl, macOS, Windows). */
function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

export function checkPlatform(glibc = glibcVersion(), platform = process.platform, arch = process.arch): void {
  if (platform !== 'linux' || arch !== 'x64')
    throw new ClaraError(`setup tensorflow: PyPI's TensorFlow libraries are used on linux-x64 only (this is ${platform}-${arch})`);
  if (!glibc) throw new ClaraError('setup tensorflow: this Linux has no glibc (musl?); the TensorFlow wheels need glibc >= ' + MIN_GLIBC);
  if (!versionAtLeast(glibc, MIN_GLIBC))
    throw new ClaraError(`setup tensorflow: glibc ${glibc} is too old; the TensorFlow wheels need glibc >= ${MIN_GLIBC} (manylinux_2_27)`);
}

/** The python that runs pip: CLARA_PYTHON, else python3. Returns its command. */
export function checkPip(env: NodeJS.ProcessEnv = process.env): string {
  const py = env.CLARA_PYTHON || 'python3';
  const r = spawnSync(py, ['-m', 'pip', '--version'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error)
    throw new ClaraError(`setup tensorflow: no Python to run pip ('${py}': ${firstLine(r.error.message)}); install python3 and pip, or set CLARA_PYTHON`);
  if (r.status !== 0)
    throw new ClaraError(
      `setup tensorflow: '${py} -m pip' does not run (${firstLine(r.stderr) || `exit ${r.status}`}); install pip (Debian: apt-get install python3-pip)`,
    );
  return py;
}

/** A C++ compiler and make, which node-gyp needs to build the binding. */
export function checkCompiler(env: NodeJS.ProcessEnv = process.env): void {
  const cxx = env.CXX || 'c++';
  const r = spawnSync(cxx, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0)
    throw new ClaraError(`setup tensorflow: no C++ compiler ('${cxx}' does not run); install one (Debian: apt-get install g++) or set CXX`);
  const m = spawnSync('make', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (m.error || m.status !== 0) throw new ClaraError("setup tensorflow: no 'make' (node-gyp needs it); install it (Debian: apt-get install make)");
}

/** Node's own headers (so node-gyp never downloads them): the install prefix holding include/node. */
export function nodeHeadersDir(execPath = process.execPath): string {
  const prefix = dirname(dirname(execPath));
  if (!existsSync(join(prefix, 'include', 'node', 'node_api.h')) || !existsSync(join(prefix, 'include', 'node', 'common.gypi')))
    throw new ClaraError(
      `setup tensorflow: Node's headers are not in ${join(prefix, 'include', 'node')} (node_api.h, common.gypi); install Node with its headers (Debian: apt-get install libnode-dev) — setup never downloads them`,
    );
  return prefix;
}

/** Free bytes where `dir` (or its nearest existing parent) lives. */
function freeBytes(dir: string): number {
  mkdirSync(dir, { recursive: true });
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

export function checkDisk(dir: string, needBytes: number, what: string): void {
  const free = freeBytes(dir);
  if (free < needBytes)
    throw new ClaraError(
      `setup tensorflow: too little disk for ${what} in ${dir}: ${(free / 2 ** 30).toFixed(1)} GiB free, ${(needBytes / 2 ** 30).toFixed(1)} GiB needed`,
    );
}
