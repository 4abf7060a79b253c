// System metrics of a job: the sampler's figures against /proc (this process burning CPU
// for a second), the jsonl file read back, MLflow's names, nvidia-smi's CSV (through a
// script printing what nvidia-smi prints, since this machine has no GPU) and the
// MLflow points a system_metrics event becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemSampler, parseNvidiaSmi, readSystemSamples, systemMetricNames, systemMetricsInterval } from '../../src/jobs/system-metrics.js';
import { jobEventMetrics } from '../../src/tracking/train-run-logger.js';

test('the sampler: process CPU and RSS as /proc says, lines read back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-sys-'));
  const got: number[] = [];
  // /proc/self/stat's utime+stime (clock ticks of 10 ms) over the same window: the reference.
  const ticks = () => {
    const f = readFileSync('/proc/self/stat', 'utf8')
      .slice(readFileSync('/proc/self/stat', 'utf8').lastIndexOf(')') + 2)
      .split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  const k0 = ticks(),
    w0 = process.hrtime.bigint();
  const s = new SystemSampler({ dir: join(dir, 'models'), nvidiaSmi: join(dir, 'no-such-nvidia-smi'), onSample: (_, i) => got.push(i) });
  const t0 = Date.now();
  let x = 0;
  while (Date.now() - t0 < 1000) x += Math.sqrt(x + 1);
  const a = (await s.sample())!;
  const ref = (100 * (ticks() - k0) * 10) / (Number(process.hrtime.bigint() - w0) / 1e6);
  assert.ok(Math.abs(a.procCpu! - ref) < 15, `process CPU ${a.procCpu} % vs /proc ${ref.toFixed(1)} % (load ${readFileSync('/proc/loadavg', 'utf8').trim()})`);
  assert.ok(a.cpu >= 0 && a.cpu <= 100);
  const statm = (Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096) / 1e6;
  assert.ok(Math.abs(a.rssMb! - statm) < 0.2 * statm, `RSS ${a.rssMb} MB vs /proc ${statm} MB`);
  assert.ok(a.memMb! > 0 && a.memPct! > 0 && a.memPct! < 100);
  assert.equal(a.gpus, undefined);
  await new Promise((r) => setTimeout(r, 300));
  const b = (await s.sample())!;
  assert.ok(b.procCpu! < 50, `idle process CPU ${b.procCpu}`);
  assert.deepEqual(got, [0, 1]);
  const back = readSystemSamples(join(dir, 'models'));
  assert.deepEqual(
    back.map((r) => r.rssMb),
    [a.rssMb, b.rssMb],
  );
  // A torn last line (the job was killed mid-write) is skipped.
  writeFileSync(join(dir, 'models', 'system_metrics.jsonl'), `${JSON.stringify(a)}\n{"t":3,"cp`);
  assert.equal(readSystemSamples(join(dir, 'models')).length, 1);
  void x;
});

test('a resumed job continues the sample index and time of the samples in its file (a torn line counts by position)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-sys-'));
  const noSmi = join(dir, 'no-such-nvidia-smi');
  const first = new SystemSampler({ dir, nvidiaSmi: noSmi });
  for (let k = 0; k < 3; k++) await first.sample();
  assert.deepEqual(
    readSystemSamples(dir).map((s) => s.i),
    [0, 1, 2],
  );
  const lastT = readSystemSamples(dir).at(-1)!.t;
  const got: number[] = [];
  const second = new SystemSampler({ dir, nvidiaSmi: noSmi, continues: true, onSample: (_, i) => got.push(i) });
  const a = (await second.sample())!;
  await second.sample();
  assert.deepEqual(got, [3, 4], 'no step restarts at 0');
  assert.equal(a.i, 3);
  assert.ok(a.t >= lastT, `time goes on (${a.t} >= ${lastT})`);
  assert.deepEqual(
    readSystemSamples(dir).map((s) => s.i),
    [0, 1, 2, 3, 4],
  );
  // a fresh (not resumed) run in the same folder counts from 0, as before
  const fresh: number[] = [];
  await new SystemSampler({ dir, nvidiaSmi: noSmi, onSample: (_, i) => fresh.push(i) }).sample();
  assert.deepEqual(fresh, [0]);
  // samples written before indices existed count by their position
  const old = mkdtempSync(join(tmpdir(), 'clara-sys-'));
  writeFileSync(join(old, 'system_metrics.jsonl'), '{"t":1,"cpu":5}\n{"t":2,"cpu":6}\n');
  const o: number[] = [];
  await new SystemSampler({ dir: old, nvidiaSmi: noSmi, continues: true, onSample: (_, i) => o.push(i) }).sample();
  assert.deepEqual(o, [2]);
});

test("GPUs from nvidia-smi CSV (only the job's CUDA_VISIBLE_DEVICES), under MLflow's names", async () => {
  assert.deepEqual(parseNvidiaSmi('0, 87, 30120, 81559\n1, 3, 10, 81559\n\n'), [
    { index: 0, util: 87, memMb: 30120, memTotalMb: 81559 },
    { index: 1, util: 3, memMb: 10, memTotalMb: 81559 },
  ]);
  assert.deepEqual(parseNvidiaSmi('NVIDIA-SMI has failed'), []);
  const dir = mkdtempSync(join(tmpdir(), 'clara-sys-'));
  const smi = join(dir, 'nvidia-smi');
  writeFileSync(smi, '#!/bin/sh\nprintf "0, 87, 30120, 81559\\n1, 3, 10, 81559\\n"\n');
  chmodSync(smi, 0o755);
  const s = await new SystemSampler({ dir, nvidiaSmi: smi, gpus: ['1'] }).sample();
  assert.deepEqual(s!.gpus, [{ index: 1, util: 3, memMb: 10, memTotalMb: 81559 }]);
  const m = systemMetricNames(s!);
  assert.equal(m['system/gpu_1_utilization_percentage'], 3);
  assert.equal(m['system/gpu_1_memory_usage_megabytes'], 10);
  assert.ok(Math.abs(m['system/gpu_1_memory_usage_percentage'] - (100 * 10) / 81559) < 1e-9);
  for (const k of [
    'system/cpu_utilization_percentage',
    'system/system_memory_usage_megabytes',
    'system/system_memory_usage_percentage',
    'system/process_rss_megabytes',
  ])
    assert.equal(typeof m[k], 'number', k);
  const pts = jobEventMetrics({ type: 'system_metrics', iteration: 4, time: 1234, metrics: m });
  assert.ok(pts.length === Object.keys(m).length && pts.every((p) => p.step === 4 && p.timestamp === 1234));
  assert.deepEqual(jobEventMetrics({ type: 'system_metrics', time: 1, metrics: m }), []);
});

test('CLARA_SYSTEM_METRICS_INTERVAL_S: default 10 s, 0 turns it off, nonsense is an error naming the variable', () => {
  assert.equal(systemMetricsInterval({}), 10);
  assert.equal(systemMetricsInterval({ CLARA_SYSTEM_METRICS_INTERVAL_S: '0' }), 0);
  assert.equal(systemMetricsInterval({ CLARA_SYSTEM_METRICS_INTERVAL_S: '2.5' }), 2.5);
  assert.throws(
    () => systemMetricsInterval({ CLARA_SYSTEM_METRICS_INTERVAL_S: 'soon' }),
    /CLARA_SYSTEM_METRICS_INTERVAL_S.*'soon'|'soon'.*CLARA_SYSTEM_METRICS_INTERVAL_S/,
  );
});
