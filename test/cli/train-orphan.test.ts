// A `train` job whose AutoML parent dies while the job is still loading (before it listens
// for the IPC channel closing) still stops by itself instead of training on as an orphan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/run-cli.js';

const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a train job whose parent is killed -9 right after starting it stops by itself', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orphan-'));
  try {
    const mm = join(dir, 'mmar');
    const r = await runCli(['init', '--example', 'synthetic', mm, '--train-cases', '2', '--val-cases', '1', '--size', '32']);
    assert.equal(r.code, 0, r.stderr);
    const errFile = join(dir, 'err.txt');
    // the parent forks the job with an IPC channel (as the AutoML executor does), prints its pid and dies at once
    const parentSrc = `const { fork } = await import('node:child_process'); const fs = await import('node:fs');
      const c = fork(${JSON.stringify(entry)}, ['train', '-m', ${JSON.stringify(mm)}, '--set', 'epochs=200', '-q'],
        { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', fs.openSync(${JSON.stringify(errFile)}, 'w'), 'ipc'] });
      process.stdout.write(c.pid + '\\n'); setTimeout(() => process.kill(process.pid, 'SIGKILL'), 50);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', parentSrc], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => parent.stdout!.on('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    const t0 = Date.now();
    while (alive(pid) && Date.now() - t0 < 120_000) await sleep(250);
    const survived = alive(pid);
    if (survived) process.kill(pid, 'SIGKILL');
    const err = existsSync(errFile) ? readFileSync(errFile, 'utf8') : '';
    assert.ok(!survived, `the orphaned job was still running 120 s after its parent died:\n${err.slice(-1500)}`);
    assert.ok(
      !existsSync(join(mm, 'models', 'train_stats.json')) || !/"status": "finished"/.test(readFileSync(join(mm, 'models', 'train_stats.json'), 'utf8')),
      'the job trained to the end instead of stopping',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
