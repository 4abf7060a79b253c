// Bad files get an error naming the file and what is wrong; nothing is allocated from bad dims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { encodeNifti, readNifti, readNiftiSync } from '../../src/io/nifti/index.js';
import { ClaraError } from '../../src/util/errors.js';
import { tempDir } from './helpers.js';

function good(version: 1 | 2 = 1, littleEndian = true): Uint8Array {
  return encodeNifti(
    {
      data: new Int16Array(4 * 3 * 2),
      shape: [4, 3, 2],
      affine: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ],
    },
    { version, littleEndian },
  );
}

function poke(b: Uint8Array, f: (dv: DataView) => void): Uint8Array {
  const c = new Uint8Array(b);
  f(new DataView(c.buffer));
  return c;
}

async function expectError(bytes: Uint8Array, pattern: RegExp, name = 'bad.nii'): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    for (const read of [() => readNifti(file), async () => readNiftiSync(file)]) {
      await assert.rejects(read, (e: unknown) => {
        assert.ok(e instanceof ClaraError, `expected ClaraError, got ${e}`);
        assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
        assert.match(e.message, pattern);
        return true;
      });
    }
  } finally {
    cleanup();
  }
}

test('wrong magic (NIfTI-1, NIfTI-2, an .hdr/.img pair)', async () => {
  await expectError(
    poke(good(), (dv) => dv.setUint8(345, 0x3f)),
    /bad NIfTI-1 magic "n\?1", expected "n\+1"/,
  );
  await expectError(
    poke(good(), (dv) => dv.setUint8(345, 0x69)),
    /\.hdr\/\.img pair/,
  );
  await expectError(
    poke(good(2), (dv) => dv.setUint8(9, 0)),
    /bad NIfTI-2 magic/,
  );
});

test('not a NIfTI file at all / a too-short header', async () => {
  await expectError(new TextEncoder().encode('hello world, this is not nifti'), /not a NIfTI file: sizeof_hdr is/);
  await expectError(new Uint8Array(2), /too short for a NIfTI header/);
  await expectError(good().subarray(0, 200), /truncated NIfTI-1 header: 200 bytes, expected 348/);
});

test('truncated data, both byte orders and versions', async () => {
  for (const v of [1, 2] as const)
    for (const le of [true, false]) {
      const b = good(v, le);
      await expectError(b.subarray(0, b.length - 1), /truncated data: dims 4x3x2 of int16 need 48 bytes from offset \d+, the file has 47/);
    }
});

test('vox_offset past the end of the file, and inside the header', async () => {
  await expectError(
    poke(good(), (dv) => dv.setFloat32(108, 100000, true)),
    /vox_offset 100000 is past the end of the file \(400 bytes\)/,
  );
  await expectError(
    poke(good(2), (dv) => dv.setBigInt64(168, 10n ** 6n, true)),
    /vox_offset 1000000 is past the end/,
  );
  await expectError(
    poke(good(), (dv) => dv.setFloat32(108, 100, true)),
    /vox_offset 100 lies inside the 348-byte header/,
  );
});

test('negative dims, dim[0] out of range, a product over the cap (before allocating)', async () => {
  await expectError(
    poke(good(), (dv) => dv.setInt16(44, -4, true)),
    /dim\[2\] is -4, expected a non-negative size/,
  );
  await expectError(
    poke(good(), (dv) => dv.setInt16(40, 9, true)),
    /dim\[0\] \(number of dimensions\) is 9, expected 1\.\.7/,
  );
  await expectError(
    poke(good(), (dv) => {
      dv.setInt16(42, 32767, true);
      dv.setInt16(44, 32767, true);
      dv.setInt16(46, 32767, true);
    }),
    /dims 32767x32767x32767 hold \d+ voxels, over the limit of 2147483647/,
  );
  await expectError(
    poke(good(2), (dv) => {
      dv.setBigInt64(24, 1n << 40n, true);
    }),
    /over the limit/,
  );
  await expectError(
    poke(good(2, false), (dv) => {
      dv.setBigInt64(24, -5n, false);
    }),
    /dim\[1\] is -5/,
  );
});

test('unsupported datatypes name the type and the supported ones', async () => {
  await expectError(
    poke(good(), (dv) => dv.setInt16(70, 128, true)),
    /unsupported NIfTI datatype rgb24 \(code 128\); supported: uint8 \(2\)/,
  );
  await expectError(
    poke(good(), (dv) => dv.setInt16(70, 1024, true)),
    /int64 \(code 1024\)/,
  );
  await expectError(
    poke(good(2), (dv) => dv.setInt16(12, 99, true)),
    /unknown code 99/,
  );
});

test('bad gzip: corrupt stream and truncated stream', async () => {
  const gz = gzipSync(good());
  await expectError(
    poke(gz, (dv) => {
      for (let i = 12; i < 40; i++) dv.setUint8(i, 0xff);
    }),
    /bad gzip data/,
    'bad.nii.gz',
  );
  await expectError(gz.subarray(0, gz.length >> 1), /bad gzip data/, 'bad.nii.gz');
});

test('a missing file and a directory', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(readNifti(join(dir, 'nope.nii')), /nope\.nii: cannot read NIfTI: no such file/);
    assert.throws(() => readNiftiSync(dir), /is a directory/);
  } finally {
    cleanup();
  }
});

test('a .nii.gz whose header claims far more data than the stream holds fails as truncated, without inflating more', async () => {
  const b = poke(good(), (dv) => {
    dv.setInt16(40, 3, true);
    dv.setInt16(42, 2000, true);
    dv.setInt16(44, 1000, true);
    dv.setInt16(46, 1000, true);
  });
  await expectError(gzipSync(b), /truncated data: dims 2000x1000x1000 of int16 need 4000000000 bytes from offset 352, the file has 48/, 'big.nii.gz');
});

test('trailing bytes after the voxel data are ignored (.nii and .nii.gz)', async () => {
  const b = good();
  const padded = new Uint8Array(b.length + 1000);
  padded.set(b);
  const { dir, cleanup } = tempDir();
  try {
    for (const [name, bytes] of [
      ['t.nii', padded],
      ['t.nii.gz', gzipSync(padded)],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      assert.deepEqual((await readNifti(file)).shape, [4, 3, 2]);
      assert.deepEqual(readNiftiSync(file).shape, [4, 3, 2]);
    }
  } finally {
    cleanup();
  }
});
