// Usage errors of the cross-validation options are one line naming the option, no stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './run-cli.js';

const oneLine = (r: { code: number; stderr: string }, re: RegExp) => {
  assert.equal(r.code, 1);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('error:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
};

test('train --fold, ensemble and infer --tta reject bad usage in one line', () => {
  oneLine(runCli(['train', '-m', '/nonexistent', '--fold', 'x']), /--fold must be an integer >= 0, got "x"/);
  oneLine(runCli(['ensemble', '-o', '/tmp/x', '-m', '/nonexistent']), /-m needs --folds/);
  oneLine(runCli(['ensemble', '-o', '/tmp/x']), /give -m MMAR --folds/);
  oneLine(runCli(['ensemble', '-o', '/tmp/x', '--member', 'a', '--nsd-tolerance', '-1']), /--nsd-tolerance must be a number of mm >= 0/);
  oneLine(runCli(['infer', '-m', '/nonexistent', '--tta']), /--tta, --ensemble and ensemble folders work with --model DIR --input FILES/);
});
