// The AutoML process runs no engine: jobs are processes that say their backend in their own
// train_start events (src/jobs/events.ts), so src/automl must not load TensorFlow.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The @tensorflow modules a fresh process holds after importing `entry` (tfjs is CommonJS: its modules land in require.cache). */
function tfjsModulesAfterImport(entry: string): string[] {
  const code = `import { createRequire } from 'node:module';
await import(${JSON.stringify(resolve(entry))});
process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@tensorflow'))));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

test('importing src/automl/run.ts (and with it every executor, handler, controller and the MLflow handler) loads no TensorFlow.js', () => {
  assert.deepEqual(tfjsModulesAfterImport('src/automl/run.ts'), []);
  assert.deepEqual(tfjsModulesAfterImport('src/automl/handlers/register-mlflow.ts'), []);
  // the check itself sees tfjs where it is loaded
  assert.ok(tfjsModulesAfterImport('src/engine/index.ts').length > 0);
});
