// The events file of a job without IPC: a real training child (the tiny net, no IPC
// channel) writes CLARA_EVENTS_FILE; the follower reads whole lines only, in order, across
// a torn last line and a truncation (a resubmitted job), and skips a line that is not JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS_FILE_ENV, EventFileFollower, EventFileWriter } from '../../src/jobs/event-file.js';

test('a training child without IPC appends its events to $CLARA_EVENTS_FILE, which the follower reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-events-'));
  const file = join(dir, 'events.jsonl');
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('../train/fixtures/tiny-train-child.ts', import.meta.url).pathname, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, [EVENTS_FILE_ENV]: file },
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const follower = new EventFileFollower(file);
  const seen: string[] = [];
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  while (code === undefined) {
    for (const e of follower.poll()) seen.push(e.type);
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const e of follower.poll()) seen.push(e.type);
  assert.equal(code, 0, err);
  assert.deepEqual(
    seen.filter((t) => t !== 'iteration_end'),
    ['train_start', 'epoch_start', 'validation_end', 'epoch_end', 'epoch_start', 'validation_end', 'epoch_end', 'train_end'],
  );
  assert.equal(seen.filter((t) => t === 'iteration_end').length, 4);
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, seen.length);
  assert.ok(lines.find((e) => e.type === 'validation_end').metrics.val_mean_dice >= 0);
  rmSync(dir, { recursive: true, force: true });
});

test('the follower returns whole lines only, starts over after a truncation and stops at a line that is not JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-events-'));
  const file = join(dir, 'events.jsonl');
  const f = new EventFileFollower(file);
  assert.deepEqual(f.poll(), [], 'no file yet');
  const w = new EventFileWriter(file);
  w.append({ type: 'train_start', time: 1 });
  const half = JSON.stringify({ type: 'epoch_end', epoch: 1, metrics: { train_loss: 0.5 }, message: 'é ü', time: 2 });
  appendFileSync(file, half.slice(0, 20));
  assert.deepEqual(
    f.poll().map((e) => e.type),
    ['train_start'],
  );
  assert.deepEqual(f.poll(), [], 'a torn line waits');
  appendFileSync(file, half.slice(20) + '\n');
  assert.deepEqual(
    f.poll().map((e) => [e.type, e.message]),
    [['epoch_end', 'é ü']],
  );
  w.close();
  // A requeued job's writer reopens the file: a torn tail is cut off, then it appends.
  appendFileSync(file, '{"type":"epoch_e');
  const w2 = new EventFileWriter(file);
  w2.append({ type: 'train_start', time: 3 });
  w2.close();
  assert.deepEqual(
    f.poll().map((e) => e.time),
    [3],
  );
  appendFileSync(file, 'not json\n');
  assert.deepEqual(f.poll(), []);
  assert.match(f.broken!, /events\.jsonl: the line at byte \d+ is not JSON .*one JSON event per line/);
  writeFileSync(file, JSON.stringify({ type: 'train_start', time: 4 }) + '\n');
  assert.deepEqual(
    new EventFileFollower(file).poll().map((e) => e.time),
    [4],
    'a shorter file is read from the start',
  );
  rmSync(dir, { recursive: true, force: true });
});
