// Runs the native ctest programs (blocked conv3d vs naive loops, fp32 and bf16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/native/loader.js';

const has = (cmd: string) => !spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error;

test('ctest: native/tests/*_test.cc pass', { timeout: 900_000 }, (t) => {
  if (!has('cmake') || !has('ctest')) {
    if (process.env.CI === 'true') assert.fail('cmake/ctest are required under CI=true');
    t.skip('cmake is not installed');
    return;
  }
  const root = packageRoot();
  const build = join(root, 'build-ctest');
  const steps: [string, string[]][] = [
    ['cmake', ['-S', root, '-B', build, '-DCLARA_BUILD_TESTS=ON']],
    ['cmake', ['--build', build, '-j', '2']],
    ['ctest', ['--test-dir', build, '--output-on-failure']],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  }
});
