// The @tensorflow/tfjs-node(-gpu) npm package made to run on a libtensorflow unpacked
// from PyPI: installed without its install script (which would download libtensorflow
// 2.9.1 from a CDN), its deps/ pointed at the unpacked libraries and headers, and its
// binding built from the package's own binding.gyp with node-gyp and Node's local headers.
// The built binding is cached per (package version, TensorFlow, Node ABI).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { ClaraError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-fs.js';
import { TF_LIBS, type UnpackedTf } from './tensorflow-wheel.js';

const require = createRequire(import.meta.url);

export type TfjsNodePackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

export function packageFor(variant: 'cpu' | 'gpu'): TfjsNodePackage {
  return variant === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
}

/** The project whose node_modules holds the @tensorflow/tfjs this code uses, and that version. */
export function tfjsProject(): { root: string; tfjsVersion: string } {
  const pj = require.resolve('@tensorflow/tfjs/package.json');
  const at = pj.lastIndexOf(`${sep}node_modules${sep}`);
  if (at < 0) throw new ClaraError(`setup tensorflow: @tensorflow/tfjs resolves outside a node_modules folder (${pj})`);
  const tfjsVersion = (JSON.parse(readFileSync(pj, 'utf8')) as { version: string }).version;
  return { root: pj.slice(0, at), tfjsVersion };
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function lastLines(s: string, n = 3): string {
  return s
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join(' | ');
}

/**
 * Installs `pkg@version` next to @tensorflow/tfjs without running any install script and
 * without changing package.json or package-lock.json; nothing when it is already there.
 */
export function ensureNpmPackage(root: string, pkg: TfjsNodePackage, version: string, log: (s: string) => void): string {
  const dir = join(root, 'node_modules', pkg);
  const have = readJson<{ version?: string }>(join(dir, 'package.json'));
  const depsPresent = existsSync(join(root, 'node_modules', '@mapbox', 'node-pre-gyp')) || existsSync(join(dir, 'node_modules', '@mapbox', 'node-pre-gyp'));
  if (have?.version === version && depsPresent) return dir;
  const npm = process.env.CLARA_NPM || 'npm';
  log(`npm install --no-save --ignore-scripts ${pkg}@${version}`);
  const r = spawnSync(npm, ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${version}`], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new ClaraError(`setup tensorflow: cannot run npm ('${npm}': ${r.error.message.split('\n')[0]}); set CLARA_NPM to its path`);
  if (r.status !== 0) throw new ClaraError(`setup tensorflow: npm could not install ${pkg}@${version}: ${lastLines(r.stderr) || `exit ${r.status}`}`);
  if (readJson<{ version?: string }>(join(dir, 'package.json'))?.version !== version)
    throw new ClaraError(`setup tensorflow: npm ran but ${dir} does not hold ${pkg}@${version}`);
  return dir;
}

/**
 * Points the package's deps/ at the unpacked TensorFlow: deps/lib holds links named as the
 * binding links (-ltensorflow -ltensorflow_framework), as it loads (the SONAMEs) and as the
 * package's install script checks (libtensorflow.so.2.9.1: it then never downloads);
 * deps/include the C headers; for gpu deps/nvidia the CUDA runtime libraries, where the
 * libraries' RUNPATH $ORIGIN/../nvidia/<pkg>/lib looks.
 */
export function linkDeps(pkgDir: string, tf: UnpackedTf): string {
  const deps = join(pkgDir, 'deps');
  rmSync(deps, { recursive: true, force: true });
  const lib = join(deps, 'lib');
  mkdirSync(lib, { recursive: true });
  const [cc, fw] = TF_LIBS;
  const links: [string, string][] = [
    [cc, cc],
    [fw, fw],
    ['libtensorflow.so', cc],
    ['libtensorflow_framework.so', fw],
    ['libtensorflow.so.2.9.1', cc],
    ['libtensorflow_framework.so.2.9.1', fw],
  ];
  for (const [name, target] of links) symlinkSync(join(tf.libDir, target), join(lib, name));
  symlinkSync(tf.includeDir, join(deps, 'include'));
  if (tf.nvidiaDir) {
    if (!existsSync(tf.nvidiaDir)) throw new ClaraError(`setup tensorflow --gpu: ${tf.nvidiaDir} is missing (the CUDA runtime wheels were not unpacked)`);
    symlinkSync(tf.nvidiaDir, join(deps, 'nvidia'));
  }
  return deps;
}

/** node-gyp's entry script: CLARA_NODE_GYP, npm's node-gyp setting, npm's bundled copy, or one in node_modules. */
function findNodeGyp(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): string {
  const cands = [
    env.CLARA_NODE_GYP,
    env.npm_config_node_gyp,
    join(dirname(dirname(execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter((x): x is string => !!x);
  for (const c of cands) if (existsSync(c)) return resolve(c);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    throw new ClaraError(
      `setup tensorflow: node-gyp not found (looked at ${cands.join(', ')} and node_modules); install npm (it bundles node-gyp) or set CLARA_NODE_GYP`,
    );
  }
}

interface PkgJson {
  name: string;
  version: string;
  binary: { module_name: string; module_path: string; napi_versions: number[] };
}

/** Where node-pre-gyp's `find` (what the package's index.js calls) looks for the binding. */
export function bindingPath(pkgDir: string): { file: string; napi: number } {
  const pj = readJson<PkgJson>(join(pkgDir, 'package.json'));
  if (!pj?.binary) throw new ClaraError(`setup tensorflow: ${join(pkgDir, 'package.json')} has no "binary" section`);
  const mine = Number(process.versions.napi);
  const napi = Math.max(...pj.binary.napi_versions.filter((v) => v <= mine));
  if (!Number.isFinite(napi)) throw new ClaraError(`setup tensorflow: ${pj.name} supports N-API ${pj.binary.napi_versions.join(',')}, this Node has ${mine}`);
  const modPath = resolve(pkgDir, pj.binary.module_path.replace('{napi_build_version}', String(napi)));
  return { file: join(modPath, `${pj.binary.module_name}.node`), napi };
}

/**
 * The binding for this package + TensorFlow + Node: copied from the cache when built before,
 * otherwise built with node-gyp (Node's headers from --nodedir: never downloaded).
 */
export function ensureBinding(o: { pkgDir: string; tf: UnpackedTf; cacheDir: string; nodeDir: string; log: (s: string) => void }): {
  file: string;
  cached: boolean;
} {
  const { pkgDir, tf, cacheDir, nodeDir, log } = o;
  const pj = readJson<PkgJson>(join(pkgDir, 'package.json'))!;
  const { file, napi } = bindingPath(pkgDir);
  const key = `${pj.name.replace('@tensorflow/', '')}-${pj.version}_tf${tf.version}-${tf.variant}_node-abi${process.versions.modules}-napi${napi}`;
  const cached = join(cacheDir, 'bindings', key, 'tfjs_binding.node');
  if (existsSync(cached)) {
    // Never rewrite a binding in place: a running process may have it mapped (it would crash).
    const want = readFileSync(cached);
    if (!existsSync(file) || !readFileSync(file).equals(want)) writeFileAtomic(file, want);
    return { file, cached: true };
  }
  const gyp = findNodeGyp();
  log(`building ${pj.name}'s binding with node-gyp (Node headers from ${nodeDir})`);
  const args = [
    gyp,
    'rebuild',
    `--nodedir=${nodeDir}`,
    `--module_name=${pj.binary.module_name}`,
    `--module_path=${dirname(file)}`,
    `--napi_build_version=${napi}`,
    `-j`,
    String(Math.max(1, availableParallelism())),
  ];
  const r = spawnSync(process.execPath, args, { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0 || !existsSync(file))
    throw new ClaraError(
      `setup tensorflow: building ${pj.name}'s binding failed: ${lastLines(r.stderr || r.stdout || r.error?.message || '') || `exit ${r.status}`}`,
    );
  writeFileAtomic(cached, readFileSync(file));
  return { file, cached: false };
}
