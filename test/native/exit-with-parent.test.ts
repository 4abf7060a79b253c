// exitWithParent: a child whose JavaScript is stuck in a synchronous loop (as a job is
// while libtensorflow loads or a long train step runs) still ends when its parent is
// killed with -9, through the kernel's parent-death signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const loader = fileURLToPath(new URL('../../src/native/loader.ts', import.meta.url));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function orphanSurvives(arm: boolean): Promise<boolean> {
  // parent → child; the child arms (or not) and then blocks its event loop for 20 s
  const childSrc = `const { native } = await import(${JSON.stringify(loader)});
    ${arm ? 'native().exitWithParent(process.ppid);' : ''}
    process.stdout.write(String(process.pid) + '\\n');
    const end = Date.now() + 20000; while (Date.now() < end) {}`;
  const parentSrc = `const { spawn } = await import('node:child_process');
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ${JSON.stringify(childSrc)}], { stdio: ['ignore', 'inherit', 'inherit'] });
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', parentSrc], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve) => parent.stdout!.on('data', (d: Buffer) => resolve(Number(d.toString().trim().split('\n')[0]))));
  parent.kill('SIGKILL');
  const t0 = Date.now();
  while (alive(pid) && Date.now() - t0 < 5000) await sleep(100);
  const survived = alive(pid);
  if (survived) process.kill(pid, 'SIGKILL');
  return survived;
}

test(
  'an armed child with a blocked event loop ends when its parent is killed -9; an unarmed one does not',
  { skip: process.platform !== 'linux' && 'Linux only (PR_SET_PDEATHSIG)', timeout: 120_000 },
  async () => {
    assert.equal(await orphanSurvives(true), false, 'the armed child outlived its parent by 5 s');
    assert.equal(await orphanSurvives(false), true, 'without arming, the blocked child keeps running (the test would prove nothing)');
  },
);
