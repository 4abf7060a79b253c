import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceDirWith, writeFileAtomic, writeFileAtomicAsync, writeJsonAtomic } from '../../src/util/atomic-fs.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'clara-atomic-'));

test('writeFileAtomic / writeJsonAtomic: whole files, folders made, no temp file left; a failed write names the file and keeps the old one', async () => {
  const dir = tmp();
  const f = join(dir, 'a', 'b.json');
  writeJsonAtomic(f, { x: 1 });
  assert.equal(readFileSync(f, 'utf8'), '{\n  "x": 1\n}\n');
  writeJsonAtomic(f, { x: 2 }, 0);
  assert.equal(readFileSync(f, 'utf8'), '{"x":2}');
  await writeFileAtomicAsync(join(dir, 'a', 'c.bin'), Uint8Array.from([1, 2, 3]));
  assert.deepEqual([...readFileSync(join(dir, 'a', 'c.bin'))], [1, 2, 3]);
  assert.deepEqual(readdirSync(join(dir, 'a')).sort(), ['b.json', 'c.bin']);
  // A folder where the file should go: the error names the file and what it is.
  mkdirSync(join(dir, 'a', 'd.nii'));
  assert.throws(
    () => writeFileAtomic(join(dir, 'a', 'd.nii'), 'x', 'NIfTI'),
    (e: Error) => e.message.startsWith(`${join(dir, 'a', 'd.nii')}: cannot write NIfTI (`),
  );
  await assert.rejects(writeFileAtomicAsync(join(dir, 'a', 'd.nii'), 'x'), /d\.nii: cannot write file \(/);
  assert.deepEqual(readdirSync(join(dir, 'a')).sort(), ['b.json', 'c.bin', 'd.nii'], 'no temp file is left behind');
  assert.equal(readFileSync(f, 'utf8'), '{"x":2}');
  rmSync(dir, { recursive: true, force: true });
});

test('replaceDirWith: a failed fill keeps the old folder; a good one replaces it whole', () => {
  const dir = tmp();
  const best = join(dir, 'best');
  replaceDirWith(best, (t) => writeFileSync(join(t, 'v'), '1'));
  assert.equal(readFileSync(join(best, 'v'), 'utf8'), '1');
  assert.throws(
    () =>
      replaceDirWith(best, (t) => {
        writeFileSync(join(t, 'v'), '2');
        throw new Error('disk full');
      }),
    /disk full/,
  );
  assert.equal(readFileSync(join(best, 'v'), 'utf8'), '1');
  replaceDirWith(best, (t) => writeFileSync(join(t, 'w'), '3'));
  assert.deepEqual(readdirSync(best), ['w']);
  assert.deepEqual(readdirSync(dir), ['best'], 'no .best.new-* or .best.old-* left');
  assert.ok(!existsSync(join(best, 'v')));
  rmSync(dir, { recursive: true, force: true });
});
