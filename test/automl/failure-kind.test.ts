// The failure kind of a job from what its child left: real log lines of each kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupOomKills, classifyFailure } from '../../src/automl/failure-kind.js';

const end = (x: Partial<Parameters<typeof classifyFailure>[0]>) => classifyFailure({ code: 1, signal: null, log: '', ...x });

test('out of memory: native, V8, tfjs, TensorFlow, C++ allocation failures', () => {
  for (const line of [
    'error: clara native conv3d: out of memory for the converted input (an unexpected error; set CLARA_DEBUG=1 for the stack trace)',
    'FATAL ERROR: MarkCompactCollector: young object promotion failed Allocation failed - JavaScript heap out of memory',
    'RangeError: Array buffer allocation failed',
    'ResourceExhaustedError: OOM when allocating tensor with shape[32,8,24,24,24]',
    "terminate called after throwing an instance of 'std::bad_alloc'",
  ]) {
    const f = end({ log: `Loading dataset\n${line}\n`, code: null, signal: 'SIGABRT' });
    assert.equal(f.kind, 'out_of_memory', line);
    assert.equal(f.evidence, line);
    assert.equal(f.signal, 'SIGABRT');
  }
  const s = end({ statsError: 'Array buffer allocation failed' });
  assert.equal(s.kind, 'out_of_memory');
  assert.equal(s.exitCode, 1);
});

test("the kernel's OOM kill: SIGKILL while the cgroup's oom_kill count rose; a SIGKILL without it is a signal", () => {
  const f = end({ code: null, signal: 'SIGKILL', oomKillsBefore: 3, oomKillsAfter: 4 });
  assert.equal(f.kind, 'out_of_memory');
  assert.match(f.evidence!, /oom_kill count went 3 → 4/);
  assert.equal(end({ code: null, signal: 'SIGKILL', oomKillsBefore: 3, oomKillsAfter: 3 }).kind, 'signal');
  const n = cgroupOomKills();
  assert.ok(n === undefined || (Number.isInteger(n) && n >= 0));
});

test("the executor's memory_limit_mb watch: out of memory, with the resident memory it saw", () => {
  const f = end({ code: null, signal: 'SIGKILL', overLimit: { rssMb: 612.4, limitMb: 550 } });
  assert.equal(f.kind, 'out_of_memory');
  assert.equal(f.evidence, 'resident memory 612 MiB went over memory_limit_mb 550; killed');
});

test('timeout, non-finite loss, exit code', () => {
  assert.equal(end({ timedOut: true, code: null, signal: 'SIGTERM', log: 'out of memory' }).kind, 'timeout');
  const nf = end({ statsError: 'epoch 3, iteration 2: the training loss is NaN; training stopped as failed' });
  assert.equal(nf.kind, 'non_finite_loss');
  assert.deepEqual(end({ code: 3, log: 'fake crash' }), { kind: 'exit_code', exitCode: 3 });
  assert.equal(end({ code: 0 }).kind, 'error');
});
