// The same seed gives byte-identical batches in any process and with any concurrency;
// another seed gives other batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pipelineHash } from './determinism-run.js';

const script = fileURLToPath(new URL('./determinism-run.ts', import.meta.url));
function child(seed: number, workers: number, prefetch: number, env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, String(seed), String(workers), String(prefetch)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('same seed → byte-identical samples across processes, worker counts and prefetch depths', async () => {
  const here = await pipelineHash(7, 1, 0);
  assert.match(here, /^[0-9a-f]{64}$/);
  assert.equal(await pipelineHash(7, 4, 3), here, 'concurrency must not change the result');
  assert.equal(child(7, 2, 1), here, 'another process gives the same bytes');
  assert.notEqual(await pipelineHash(8, 1, 0), here, 'another seed gives other samples');
});
