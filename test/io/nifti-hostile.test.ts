// Hostile NIfTI files (#19, 4-7, 9, 12): every read bounded by the header, gzip trailers
// checked, non-regular files refused by path, nibabel's rules for xform codes and vox_offset.
// Cases that hung or exhausted memory before run in a child process with a time limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeNifti, readNifti, readNiftiSync, readNiftiHeader } from '../../src/io/nifti/index.js';
import { ClaraError } from '../../src/util/errors.js';
import { MRICRON, mricronMissing, nibabelMissing, nibabelView, tempDir } from './helpers.js';
import { runCli } from '../cli/run-cli.js';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const SMALL = join(MRICRON, 'JHU-WhiteMatter-labels-2mm.nii.gz');

interface ChildResult {
  ok: boolean;
  error?: string;
  maxRssKb?: number;
  baseRssKb?: number;
  timedOut: boolean;
  ms: number;
}

/** Reads `file` in a fresh process (readNifti, or readNiftiSync), killed after `timeoutMs`. */
function readInChild(file: string, timeoutMs = 30_000, sync = false): ChildResult {
  const code = `
    const m = await import('./src/io/nifti/index.ts');
    const base = process.resourceUsage().maxRSS;
    try { const im = ${sync ? 'm.readNiftiSync' : 'await m.readNifti'}(process.argv[1]); console.log(JSON.stringify({ ok: true, n: im.data.length, maxRssKb: process.resourceUsage().maxRSS, baseRssKb: base })); }
    catch (e) { console.log(JSON.stringify({ ok: false, error: String(e && e.message), maxRssKb: process.resourceUsage().maxRSS, baseRssKb: base })); }`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, file], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  const ms = Date.now() - t0;
  if (r.error || r.status === null) return { ok: false, timedOut: true, ms, error: String(r.error ?? r.signal) };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return { ...(JSON.parse(line) as ChildResult), timedOut: false, ms };
  } catch {
    return { ok: false, timedOut: false, ms, error: `no result: ${r.stderr.slice(-2000)}` };
  }
}

async function rejectsBoth(file: string, pattern: RegExp): Promise<void> {
  for (const read of [() => readNifti(file), async () => readNiftiSync(file)]) {
    await assert.rejects(read, (e: unknown) => {
      assert.ok(e instanceof ClaraError, `expected ClaraError, got ${(e as Error)?.stack}`);
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.message, pattern);
      return true;
    });
  }
}

function small(version: 1 | 2 = 1): Uint8Array {
  const data = new Int16Array(4 * 3 * 2).map((_, i) => i);
  return encodeNifti(
    {
      data,
      shape: [4, 3, 2],
      affine: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ],
    },
    { version },
  );
}

test('4: a 544-byte NIfTI-2 file with a zero dim and a huge dim is refused at once', () => {
  const { dir, cleanup } = tempDir();
  try {
    const b = small(2).slice(0, 544);
    const dv = new DataView(b.buffer, b.byteOffset);
    dv.setBigInt64(16, 4n, true); // dim[0]
    dv.setBigInt64(24, 3n, true);
    dv.setBigInt64(32, 0n, true);
    dv.setBigInt64(40, 1n << 40n, true);
    dv.setBigInt64(48, 2n, true);
    const file = join(dir, 'zero-huge.nii');
    writeFileSync(file, b);
    const r = readInChild(file, 60_000);
    assert.equal(r.timedOut, false, 'the reader hung');
    assert.equal(r.ok, false);
    assert.match(String(r.error), /dim\[2\] is 0: the volume would hold no voxels/);
    // A huge dim alone is named too.
    dv.setBigInt64(32, 1n, true);
    writeFileSync(file, b);
    assert.throws(() => readNiftiSync(file), /dim\[3\] is 1099511627776, over the limit/);
  } finally {
    cleanup();
  }
});

/** gzip member with a header name field of `nameBytes` bytes. */
function gzipWithName(data: Uint8Array, nameBytes: number): Buffer {
  const plain = gzipSync(data);
  const head = Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]); // FLG.FNAME
  const name = Buffer.alloc(nameBytes + 1, 0x61);
  name[nameBytes] = 0;
  return Buffer.concat([head, name, plain.subarray(10)]);
}

test('5: gzip name fields, empty members and trailing bombs cannot lift the header bound', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = small();
    const bomb = Buffer.alloc(256 << 20); // 256 MiB of zeros after the voxels (~256 KiB compressed)
    const withBomb = Buffer.concat([good, bomb]);
    const cases: [string, Buffer][] = [
      ['name-bomb.nii.gz', gzipWithName(withBomb, 100_000)],
      ['members-bomb.nii.gz', Buffer.concat([...Array.from({ length: 5000 }, () => gzipSync(Buffer.alloc(0))), gzipSync(withBomb)])],
      ['second-member-bomb.nii.gz', Buffer.concat([gzipSync(good), gzipSync(bomb)])],
    ];
    for (const [name, bytes] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      for (const sync of [false, true]) {
        const r = readInChild(file, 60_000, sync);
        assert.equal(r.timedOut, false, `${name}: hung`);
        assert.equal(r.ok, false, `${name}: accepted`);
        assert.match(String(r.error), /holds more than the \d+ bytes its NIfTI header describes/, name);
        const grewMb = ((r.maxRssKb ?? 0) - (r.baseRssKb ?? 0)) / 1024;
        assert.ok(grewMb < 64, `${name} (${sync ? 'sync' : 'async'}): memory grew ${grewMb.toFixed(0)} MB for a 48-byte volume`);
      }
    }
    // Without the bomb, the same framings are fine and give the right values.
    const file = join(dir, 'name-ok.nii.gz');
    writeFileSync(file, Buffer.concat([...Array.from({ length: 2000 }, () => gzipSync(Buffer.alloc(0))), gzipWithName(good, 100_000)]));
    for (const im of [await readNifti(file), readNiftiSync(file)])
      assert.deepEqual(
        Array.from(im.data),
        Array.from({ length: 24 }, (_, i) => i),
      );
    assert.deepEqual((await readNiftiHeader(file)).dim.slice(0, 4), [3, 4, 3, 2]);
  } finally {
    cleanup();
  }
});

test('6: a volume over the memory limit is refused before allocating; reading takes about 1x the volume', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'big.nii.gz');
    const shape = [256, 256, 384]; // float32: 96 MiB decoded
    const data = new Float32Array(shape[0] * shape[1] * shape[2]);
    for (let i = 0; i < data.length; i += 97) data[i] = i % 1000;
    writeFileSync(
      file,
      gzipSync(
        encodeNifti({
          data,
          shape,
          affine: [
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            [0, 0, 1, 0],
            [0, 0, 0, 1],
          ],
        }),
        { level: 1 },
      ),
    );
    assert.throws(
      () => readNiftiSync(file, { maxBytes: 64 << 20 }),
      /need 100663296 bytes in memory, over the limit of 67108864 bytes \(as set\); nothing was allocated/,
    );
    const r = readInChild(file, 120_000);
    assert.equal(r.ok, true, r.error);
    const grew = ((r.maxRssKb ?? 0) - (r.baseRssKb ?? 0)) * 1024;
    assert.ok(grew < 1.5 * data.byteLength, `reading a ${data.byteLength}-byte volume raised the peak RSS by ${grew} bytes (over 1.5x)`);
  } finally {
    cleanup();
  }
});

test('7: /dev/zero, a FIFO and a directory are refused by path, without reading', () => {
  const { dir, cleanup } = tempDir();
  try {
    const fifo = join(dir, 'pipe.nii');
    execFileSync('mkfifo', [fifo]);
    for (const [file, what] of [
      ['/dev/zero', /is a character device, not a regular file/],
      [fifo, /is a FIFO \(named pipe\), not a regular file/],
    ] as const) {
      const r = readInChild(file, 30_000);
      assert.equal(r.timedOut, false, `${file}: hung`);
      assert.equal(r.ok, false);
      assert.match(String(r.error), what);
      assert.ok(String(r.error).includes(file));
    }
  } finally {
    cleanup();
  }
});

/** Single-byte corruptions of the deflate data that still inflate (zlib finds only the CRC wrong). */
function silentCorruptions(gz: Buffer, want: number): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = gz.length - 9; pos > 20 && out.length < want; pos -= 7) {
    const c = Buffer.from(gz);
    c[pos] ^= 0x10;
    try {
      gunzipSync(c);
    } catch (e) {
      if (/incorrect data check/.test((e as Error).message)) out.push(c);
    }
  }
  return out;
}

test('9: corrupt and truncated .nii.gz are refused (CRC and length trailer checked)', { skip: mricronMissing() }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const gz = readFileSync(SMALL);
    const file = join(dir, 'bad.nii.gz');
    const corrupt = silentCorruptions(gz, 3);
    assert.equal(corrupt.length, 3);
    for (const c of corrupt) {
      writeFileSync(file, c);
      await rejectsBoth(file, /incorrect data check\): the data does not match its checksum/);
    }
    const crc = Buffer.from(gz);
    crc[crc.length - 6] ^= 1;
    writeFileSync(file, crc);
    await rejectsBoth(file, /incorrect data check/);
    const len = Buffer.from(gz);
    len[len.length - 3] ^= 1;
    writeFileSync(file, len);
    await rejectsBoth(file, /incorrect length check/);
    for (const cut of [4, 8, 100]) {
      writeFileSync(file, gz.subarray(0, gz.length - cut));
      await rejectsBoth(file, /unexpected end of file\): the file is truncated/);
    }
    writeFileSync(file, gz);
    assert.equal((await readNifti(file)).data.length, 91 * 109 * 91);
  } finally {
    cleanup();
  }
});

test('12: xform codes outside 0..5 are ignored and vox_offset 348..351 refused, as nibabel does', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const b = encodeNifti({
      data: new Int16Array(24),
      shape: [4, 3, 2],
      affine: [
        [2, 0, 0, 1],
        [0, 3, 0, 2],
        [0, 0, 4, 3],
        [0, 0, 0, 1],
      ],
    });
    const dv = new DataView(b.buffer, b.byteOffset);
    dv.setInt16(254, 7, true); // sform_code 7: not a valid code
    const file = join(dir, 'sform7.nii');
    writeFileSync(file, b);
    const im = await readNifti(file);
    assert.equal(im.affineSource, 'qform');
    const nb = nibabelMissing();
    if (!nb) {
      const v = nibabelView([file])[0];
      for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) assert.ok(Math.abs(v.affine[r][c] - im.affine[r][c]) < 1e-5, `affine[${r}][${c}]`);
    }
    dv.setInt16(252, -1, true); // qform_code -1 too: the pixdim affine
    writeFileSync(file, b);
    assert.equal((await readNifti(file)).affineSource, 'pixdim');
    dv.setInt16(254, 1, true);
    dv.setInt16(252, 1, true);
    dv.setFloat32(108, 350, true);
    writeFileSync(file, b);
    await rejectsBoth(file, /vox_offset 350 lies inside the 4 extension-flag bytes after the header \(at least 352/);
  } finally {
    cleanup();
  }
});

test('12: nifti info --json keeps ±Infinity statistics (as strings, not null)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'inf.nii');
    writeFileSync(
      file,
      encodeNifti({
        data: new Float32Array([1, -Infinity, 2, Infinity]),
        shape: [4, 1, 1],
        affine: [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1],
        ],
      }),
    );
    const r = runCli(['nifti', 'info', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { min: unknown; max: unknown; mean: unknown };
    assert.equal(j.min, '-Infinity');
    assert.equal(j.max, 'Infinity');
    assert.equal(j.mean, 'NaN');
  } finally {
    cleanup();
  }
});

test('the small template reads the same as before through every path', { skip: mricronMissing() }, async () => {
  if (!existsSync(SMALL)) return;
  const a = await readNifti(SMALL),
    b = readNiftiSync(SMALL);
  assert.deepEqual(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
});
