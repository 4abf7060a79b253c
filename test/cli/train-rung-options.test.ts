// `train --epochs N --stop-after-epoch R` (what a successive-halving rung runs): bad values
// are one-line usage errors naming the option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

test('--epochs and --stop-after-epoch take whole numbers >= 1', () => {
  const mmar = join(mkdtempSync(join(tmpdir(), 'clara-rung-cli-')), 'none');
  for (const [flag, v] of [
    ['--epochs', '0'],
    ['--stop-after-epoch', '2.5'],
    ['--stop-after-epoch', 'x'],
  ] as const) {
    const r = runCli(['train', '-m', mmar, flag, v]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: ${flag}: expected a whole number of epochs >= 1, got '${v.replace('.', '\\.')}'$`, 'm'));
  }
});
