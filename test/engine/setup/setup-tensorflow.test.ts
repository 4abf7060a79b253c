// `setup tensorflow`: the checks that come before any download, the TensorFlow log
// reading, the deps/ layout the binding links and loads against, and (where setup has
// run: CI runs it first) that a second run is cached and fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDisk, checkPip, checkPlatform, checkCompiler, nodeHeadersDir, versionAtLeast } from '../../../src/engine/setup/preflight.js';
import { parseTfLog } from '../../../src/engine/setup/probe-tensorflow.js';
import { linkDeps, bindingPath, tfjsProject } from '../../../src/engine/setup/tfjs-node-package.js';
import { checkVersion, TF_LIBS, type UnpackedTf } from '../../../src/engine/setup/tensorflow-wheel.js';
import { claraCacheDir } from '../../../src/engine/setup/cache-dir.js';
import { runCli } from '../../helpers/run-cli.js';
import { requireTfjsNode } from '../../helpers/tfjs-node.js';
import { ClaraError } from '../../../src/util/errors.js';

const isErr = (re: RegExp) => (e: unknown) => e instanceof ClaraError && re.test(e.message);

test('preflight: old glibc, no glibc, other platforms, no pip, no compiler, too little disk are one clear line each', () => {
  assert.ok(versionAtLeast('2.36', '2.27') && versionAtLeast('2.27', '2.27') && !versionAtLeast('2.17', '2.27') && versionAtLeast('3.0', '2.27'));
  assert.throws(() => checkPlatform('2.17'), isErr(/glibc 2\.17 is too old; the TensorFlow wheels need glibc >= 2\.27/));
  assert.throws(() => checkPlatform(''), isErr(/no glibc/));
  assert.throws(() => checkPlatform('2.36', 'darwin', 'arm64'), isErr(/linux-x64 only \(this is darwin-arm64\)/));
  assert.doesNotThrow(() => checkPlatform('2.36', 'linux', 'x64'));
  assert.throws(() => checkPip({ CLARA_PYTHON: '/nonexistent/python3' }), isErr(/no Python to run pip \('\/nonexistent\/python3'/));
  assert.throws(() => checkPip({ CLARA_PYTHON: 'false' }), isErr(/'false -m pip' does not run/));
  assert.throws(() => checkCompiler({ CXX: '/nonexistent/g++' }), isErr(/no C\+\+ compiler \('\/nonexistent\/g\+\+' does not run\)/));
  assert.throws(() => nodeHeadersDir('/nonexistent/bin/node'), isErr(/Node's headers are not in \/nonexistent\/include\/node/));
  const d = mkdtempSync(join(tmpdir(), 'disk-'));
  try {
    assert.throws(
      () => checkDisk(d, 2 ** 60, 'TensorFlow 2.21.0 (cpu)'),
      isErr(/too little disk for TensorFlow 2\.21\.0 \(cpu\) in .*: [\d.]+ GiB free, 1073741824\.0 GiB needed/),
    );
    assert.doesNotThrow(() => checkDisk(d, 1, 'x'));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
  assert.throws(() => checkVersion('latest'), isErr(/--tf-version: --tf-version 'latest' is not a TensorFlow release number/));
  assert.equal(checkVersion('2.21.0'), '2.21.0');
  assert.equal(claraCacheDir({ CLARA_CACHE_DIR: '/x/y' }), '/x/y');
  assert.equal(claraCacheDir({ XDG_CACHE_HOME: '/c' }), '/c/clara-train');
});

test("TensorFlow's start-up log gives the oneDNN state and the devices", () => {
  const on = parseTfLog('I0000 port.cc:153] oneDNN custom operations are on. You may see ...\n');
  assert.deepEqual(on, { onednn: 'on', devices: [] });
  assert.equal(parseTfLog('nothing').onednn, 'unknown');
  const gpu = parseTfLog(
    'I gpu_device.cc:2019] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 79000 MB memory:  -> device: 0, name: NVIDIA H100 80GB HBM3, pci bus id: 0000:00:05.0\n',
  );
  assert.deepEqual(gpu.devices, ['GPU:0 (NVIDIA H100 80GB HBM3)']);
});

test("deps/ holds the libraries under the names the binding links, loads and the package's installer checks", () => {
  const d = mkdtempSync(join(tmpdir(), 'deps-'));
  try {
    const tfDir = join(d, 'tf');
    mkdirSync(join(tfDir, 'tensorflow', 'include'), { recursive: true });
    mkdirSync(join(tfDir, 'nvidia', 'cublas', 'lib'), { recursive: true });
    for (const l of TF_LIBS) writeFileSync(join(tfDir, 'tensorflow', l), 'x');
    const pkg = join(d, 'pkg');
    mkdirSync(join(pkg, 'deps', 'old'), { recursive: true });
    const tf: UnpackedTf = {
      version: '2.21.0',
      variant: 'gpu',
      dir: tfDir,
      libDir: join(tfDir, 'tensorflow'),
      includeDir: join(tfDir, 'tensorflow', 'include'),
      nvidiaDir: join(tfDir, 'nvidia'),
      wheel: 'w',
      cached: false,
    };
    linkDeps(pkg, tf);
    assert.ok(!existsSync(join(pkg, 'deps', 'old')), 'the old deps/ is replaced');
    const lib = join(pkg, 'deps', 'lib');
    assert.equal(readlinkSync(join(lib, 'libtensorflow.so')), join(tfDir, 'tensorflow', 'libtensorflow_cc.so.2'));
    assert.equal(readlinkSync(join(lib, 'libtensorflow_framework.so')), join(tfDir, 'tensorflow', 'libtensorflow_framework.so.2'));
    assert.equal(readlinkSync(join(lib, 'libtensorflow_cc.so.2')), join(tfDir, 'tensorflow', 'libtensorflow_cc.so.2'));
    assert.ok(lstatSync(join(lib, 'libtensorflow.so.2.9.1')).isSymbolicLink());
    assert.ok(!lstatSync(lib).isSymbolicLink(), 'deps/lib is a real folder: $ORIGIN/../nvidia is deps/nvidia');
    assert.equal(readlinkSync(join(pkg, 'deps', 'nvidia')), join(tfDir, 'nvidia'));
    assert.ok(existsSync(join(pkg, 'deps', 'lib', '..', 'nvidia', 'cublas', 'lib')));
    assert.throws(() => linkDeps(pkg, { ...tf, nvidiaDir: join(d, 'none') }), isErr(/the CUDA runtime wheels were not unpacked/));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('setup errors are one line on stderr, exit 1, no stack', async () => {
  const r = await runCli(['setup', 'tensorflow', '--tf-version', '2.x']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^error: --tf-version: --tf-version '2\.x' is not a TensorFlow release number/);
  const p = await runCli(['setup', 'tensorflow'], { env: { CLARA_PYTHON: '/nonexistent/python3' } });
  assert.equal(p.code, 1);
  assert.match(p.stderr, /^error: setup tensorflow: no Python to run pip/);
  assert.doesNotMatch(p.stderr, /\n\s+at /);
});

test('set up here: a second `setup tensorflow` is cached, loads TensorFlow and reports it', { skip: await requireTfjsNode(), timeout: 300_000 }, async () => {
  const { root } = tfjsProject();
  assert.ok(existsSync(bindingPath(join(root, 'node_modules', '@tensorflow', 'tfjs-node')).file));
  const t0 = Date.now();
  const r = await runCli(['setup', 'tensorflow', '--json']);
  const s = (Date.now() - t0) / 1000;
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    tfVersion: string;
    librariesCached: boolean;
    bindingCached: boolean;
    probe: { ok: boolean; onednn: string; devices: string[]; conv3dMaxDiffVsCpu: number };
  };
  assert.ok(rep.librariesCached && rep.bindingCached, 'everything comes from the cache');
  assert.match(rep.tfVersion, /^2\.\d+\.\d+/);
  assert.ok(rep.probe.ok && rep.probe.devices.length >= 1);
  assert.ok(rep.probe.conv3dMaxDiffVsCpu <= 1e-4);
  assert.ok(s < 60, `a cached setup took ${s.toFixed(1)} s`);
});
