// `clara-train setup tensorflow [--gpu] [--tf-version V]`: libtensorflow from PyPI's
// TensorFlow wheel under tfjs-node(-gpu), built and loaded. Every step is cached (wheel,
// unpacked libraries, built binding), so a second run takes seconds.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClaraError } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/atomic-fs.js';
import { claraCacheDir } from './cache-dir.js';
import { checkCompiler, checkDisk, checkPip, checkPlatform, nodeHeadersDir } from './preflight.js';
import { checkVersion, DEFAULT_TF_VERSION, ensureTensorflow, existingTensorflow, type TfVariant } from './tensorflow-wheel.js';
import { ensureBinding, ensureNpmPackage, linkDeps, packageFor, tfjsProject } from './tfjs-node-package.js';
import { probeTensorflow, type TfProbe } from './probe-tensorflow.js';

interface SetupTensorflowOptions {
  gpu?: boolean;
  tfVersion?: string;
  /** A site-packages folder where pip already installed TensorFlow: used as it is, nothing downloaded. */
  from?: string;
  log?: (line: string) => void;
}

interface SetupTensorflowReport {
  package: string;
  packageDir: string;
  tfVersion: string;
  variant: TfVariant;
  libDir: string;
  binding: string;
  bindingCached: boolean;
  librariesCached: boolean;
  probe: TfProbe;
  seconds: number;
}

/** Disk the unpacked libraries (plus the wheels) take, with room to spare. */
const DISK_NEED: Record<TfVariant, number> = { cpu: 1.6 * 2 ** 30, gpu: 8 * 2 ** 30 };

/** The file setup leaves in the package's deps/ (what was installed, for `info`). */
export const SETUP_STATE_FILE = 'clara-setup.json';

export function setupTensorflow(o: SetupTensorflowOptions = {}): SetupTensorflowReport {
  const t0 = performance.now();
  const log = o.log ?? ((l: string) => process.stderr.write(`setup tensorflow: ${l}\n`));
  const variant: TfVariant = o.gpu ? 'gpu' : 'cpu';
  const version = checkVersion(o.tfVersion ?? DEFAULT_TF_VERSION);
  checkPlatform();
  const python = o.from ? '' : checkPip();
  const nodeDir = nodeHeadersDir();
  const cacheDir = claraCacheDir();
  const { root, tfjsVersion } = tfjsProject();
  const pkg = packageFor(variant);
  const bindingKeyPrefix = `${pkg.replace('@tensorflow/', '')}-${tfjsVersion}_tf${o.from ? existingTensorflow(resolve(o.from), variant).version : version}-${variant}_node-abi${process.versions.modules}-`;
  const bindingsDir = join(cacheDir, 'bindings');
  const bindingCachedBefore = existsSync(bindingsDir) && readdirSync(bindingsDir).some((d) => d.startsWith(bindingKeyPrefix));
  if (!bindingCachedBefore) checkCompiler();
  if (!o.from && !existsSync(join(cacheDir, 'tensorflow', `${version}-${variant}`, '.clara-unpacked.json')))
    checkDisk(cacheDir, DISK_NEED[variant], `TensorFlow ${version} (${variant})`);

  const tf = o.from ? existingTensorflow(resolve(o.from), variant) : ensureTensorflow({ cacheDir, version, variant, python, log });
  log(`${tf.cached ? 'cached' : 'unpacked'} TensorFlow ${version} (${variant}) libraries in ${tf.libDir}`);
  const pkgDir = ensureNpmPackage(root, pkg, tfjsVersion, log);
  linkDeps(pkgDir, tf);
  const b = ensureBinding({ pkgDir, tf, cacheDir, nodeDir, log });
  log(`${b.cached ? 'cached' : 'built'} binding ${b.file}`);
  const probe = probeTensorflow(variant);
  if (!probe.ok) throw new ClaraError(`setup tensorflow: ${pkg} was built but does not load: ${probe.error}`);
  if (probe.conv3dMaxDiffVsCpu !== undefined && !(probe.conv3dMaxDiffVsCpu <= 1e-4))
    throw new ClaraError(`setup tensorflow: ${pkg} loads but its conv3d differs from tfjs 'cpu' by ${probe.conv3dMaxDiffVsCpu}`);
  const report: SetupTensorflowReport = {
    package: pkg,
    packageDir: pkgDir,
    tfVersion: probe.tfVersion ?? version,
    variant,
    libDir: tf.libDir,
    binding: b.file,
    bindingCached: b.cached,
    librariesCached: tf.cached,
    probe,
    seconds: (performance.now() - t0) / 1000,
  };
  writeJsonAtomic(join(pkgDir, 'deps', SETUP_STATE_FILE), { ...report, wheel: tf.wheel, setupAt: new Date().toISOString() });
  return report;
}
