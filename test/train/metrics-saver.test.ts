// MetricsSaver's files and SaveImaged's file names against MONAI's own functions
// (write_metrics_reports, create_file_basename), byte for byte. Live when python3 can import
// monai, else test/fixtures/monai/metrics_saver.json (make_metrics_saver_fixtures.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float32Repr, nanPercentile, pyFloatRepr, summaryOps, writeMetricsReports } from '../../src/train/metrics-saver.js';
import { monaiOutputPath } from '../../src/transforms/save-imaged.js';
import { monaiFixture } from '../helpers/monai-fixtures.js';

interface Fx {
  images: string[];
  details: (number | null)[][];
  metrics: Record<string, number>;
  reports: { name: string; summary_ops: string | string[] | null; delimiter: string; files: Record<string, string> }[];
  naming: { source: string; output_dir: string; postfix: string; data_root_dir: string; separate_folder: boolean; expected: string }[];
}

const { data, source } = monaiFixture<Fx>('make_metrics_saver_fixtures.py', 'metrics_saver.json');

for (const r of data.reports) {
  test(`MetricsSaver files = MONAI's (${source}): ${r.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-saver-'));
    try {
      const written = writeMetricsReports({
        saveDir: dir,
        images: data.images,
        metrics: data.metrics,
        details: { val_mean_dice: data.details.map((row) => row.map((v) => (v === null ? NaN : v))) },
        summaryOps: summaryOps(r.summary_ops ?? undefined, { file: 't', path: 'summary_ops' }),
        delimiter: r.delimiter,
      });
      assert.deepEqual(readdirSync(dir).sort(), Object.keys(r.files).sort());
      assert.equal(written.length, Object.keys(r.files).length);
      for (const [f, text] of Object.entries(r.files)) assert.equal(readFileSync(join(dir, f), 'utf8'), text, f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test(`SaveImaged file names = MONAI's create_file_basename (${source})`, () => {
  for (const n of data.naming) {
    assert.equal(
      monaiOutputPath(n.source, {
        outputDir: n.output_dir,
        postfix: n.postfix,
        ext: '.nii.gz',
        dataRootDir: n.data_root_dir || undefined,
        separateFolder: n.separate_folder,
      }),
      n.expected,
      n.source,
    );
  }
});

test('Python/numpy number formats', () => {
  assert.equal(pyFloatRepr(1), '1.0');
  assert.equal(pyFloatRepr(1e-5), '1e-05');
  assert.equal(pyFloatRepr(1e16), '1e+16');
  assert.equal(pyFloatRepr(NaN), 'nan');
  assert.equal(float32Repr(0.857142857), '0.85714287');
  assert.equal(float32Repr(0.9), '0.9');
  assert.equal(nanPercentile([1, NaN, 3, 2], 50), 2);
  assert.ok(Number.isNaN(nanPercentile([NaN], 90)));
  assert.throws(() => summaryOps(['mean', 'avg'], { file: 'c.json', path: 'handlers[2].args.summary_ops' }), /summary op 'avg'/);
});
