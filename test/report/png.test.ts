// The PNG encoder: chunk CRCs against node:zlib's crc32, pixels read back by an
// independent decoder (Pillow, when importable) and by inflating the IDAT stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { crc32, encodePng } from '../../src/report/png.js';
import { pythonHas } from '../helpers/python.js';

function image(w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      rgb[o] = (x * 37) & 255;
      rgb[o + 1] = (y * 91) & 255;
      rgb[o + 2] = (x * y) & 255;
    }
  return rgb;
}

test("crc32 equals zlib's", () => {
  const bytes = Buffer.from('IHDR and some bytes \u00ff\u0000', 'latin1');
  const z = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  if (z) assert.equal(crc32(bytes) ^ 0xffffffff, z(bytes) ^ 0); // ours returns the register before the final xor
  assert.equal((crc32(Buffer.from('123456789')) ^ 0xffffffff) >>> 0, 0xcbf43926); // the standard check value
});

test('chunks are well formed and the pixels inflate back', () => {
  const w = 7,
    h = 5,
    rgb = image(w, h);
  const png = encodePng(w, h, rgb);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off),
      type = png.toString('ascii', off + 4, off + 8);
    const crc = png.readUInt32BE(off + 8 + len);
    assert.equal(crc, (crc32(png.subarray(off + 4, off + 8 + len)) ^ 0xffffffff) >>> 0, `${type} CRC`);
    if (type === 'IHDR') assert.deepEqual([png.readUInt32BE(off + 8), png.readUInt32BE(off + 12), png[off + 16], png[off + 17]], [w, h, 8, 2]);
    if (type === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    types.push(type);
    off += 12 + len;
  }
  assert.deepEqual(types, ['IHDR', 'IDAT', 'IEND']);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  for (let y = 0; y < h; y++) {
    assert.equal(raw[y * (w * 3 + 1)], 0);
    assert.deepEqual([...raw.subarray(y * (w * 3 + 1) + 1, (y + 1) * (w * 3 + 1))], [...rgb.subarray(y * w * 3, (y + 1) * w * 3)]);
  }
  assert.throws(() => encodePng(2, 2, new Uint8Array(5)), /expected 12/);
  assert.throws(() => encodePng(0, 2, new Uint8Array(0)), /positive integers/);
});

test('Pillow reads the same pixels', { skip: pythonHas('PIL') ? false : 'python3 Pillow is not installed' }, () => {
  const w = 13,
    h = 9,
    rgb = image(w, h);
  const f = join(mkdtempSync(join(tmpdir(), 'clara-png-')), 'x.png');
  writeFileSync(f, encodePng(w, h, rgb));
  const r = spawnSync(
    'python3',
    ['-c', 'import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); print(im.mode, im.size[0], im.size[1]); print(im.tobytes().hex())', f],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const [head, hex] = r.stdout.trim().split('\n');
  assert.equal(head, `RGB ${w} ${h}`);
  assert.equal(hex, Buffer.from(rgb).toString('hex'));
});
