import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlWriter, readJsonl } from '../../src/util/jsonl.js';
import { Journal } from '../../src/automl/journal.js';
import { JournalWriter, readJournal } from '../../src/tracking/journal.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'clara-jsonl-'));

test('readJsonl: complete lines with their end offsets; a torn last line is left out; reading on from an offset', () => {
  const dir = tmp();
  const f = join(dir, 'j.jsonl');
  writeFileSync(f, '{"a":1}\n\n{"a":2}\n{"a":');
  const r = readJsonl<{ a: number }>(f);
  assert.deepEqual(
    r.lines.map((l) => l.value.a),
    [1, 2],
  );
  assert.deepEqual(
    r.lines.map((l) => l.end),
    [8, 17],
  );
  assert.equal(r.size, 17);
  assert.deepEqual(
    readJsonl<{ a: number }>(f, 8).lines.map((l) => l.value.a),
    [2],
  );
  assert.deepEqual(readJsonl(join(dir, 'missing.jsonl')), { lines: [], size: 0 });
  rmSync(dir, { recursive: true, force: true });
});

test('readJsonl: a complete line that is not JSON names the file and the line', () => {
  const dir = tmp();
  const f = join(dir, 'j.jsonl');
  writeFileSync(f, '{"a":1}\n{oops}\n{"a":2}\n');
  assert.throws(
    () => readJsonl(f),
    (e: Error) => e.message.startsWith(`${f}: line 2 is not JSON`),
  );
  assert.throws(() => readJsonl(f, 8), /the line at byte 8 is not JSON/);
  rmSync(dir, { recursive: true, force: true });
});

test('JsonlWriter: reopening cuts a torn tail off, so the next line starts clean; existing values are given back', () => {
  const dir = tmp();
  const f = join(dir, 'sub', 'j.jsonl');
  const w = new JsonlWriter<{ n: number }>(f);
  w.append({ n: 1 }, true);
  w.append({ n: 2 });
  w.close();
  appendFileSync(f, '{"n":3');
  const w2 = new JsonlWriter<{ n: number }>(f);
  assert.deepEqual(w2.existing, [{ n: 1 }, { n: 2 }]);
  w2.append({ n: 4 });
  w2.close();
  assert.equal(readFileSync(f, 'utf8'), '{"n":1}\n{"n":2}\n{"n":4}\n');
  assert.throws(() => w2.append({ n: 5 }), /append after close/);
  rmSync(dir, { recursive: true, force: true });
});

test('the AutoML journal and the tracking journal follow the same torn-line rule (resume after a crash mid-write)', () => {
  const dir = tmp();
  const a = join(dir, 'journal.jsonl');
  const j = new Journal(a);
  j.append({ type: 'round_ended', time: 1, round: 1 });
  j.close();
  appendFileSync(a, '{"type":"job_st');
  // Before: reopening appended onto the torn fragment and the next read failed on that line.
  const j2 = new Journal(a);
  j2.append({ type: 'round_ended', time: 2, round: 2 });
  j2.close();
  assert.deepEqual(
    Journal.read(a).map((e) => (e as { round: number }).round),
    [1, 2],
  );

  const t = join(dir, 'tracking.jsonl');
  const w = new JournalWriter(t);
  w.append({ type: 'tags', run: 'r1', tags: { a: 'b' } });
  w.close();
  appendFileSync(t, '{"type":"ta');
  assert.equal(readJournal(t).entries.length, 2);
  const w2 = new JournalWriter(t);
  assert.equal(w2.uid, w.uid, 'the header survives');
  w2.append({ type: 'tags', run: 'r1', tags: { c: 'd' } });
  w2.close();
  assert.deepEqual(
    readJournal(t).entries.map((e) => e.event.type),
    ['journal', 'tags', 'tags'],
  );
  rmSync(dir, { recursive: true, force: true });
});
