// `clara-train report` and `automl status|stop` as a user runs them, on a finished search
// made with real child jobs (fake-train.mjs): the page and its data, --watch on an ended
// run, and one-line errors for a missing run or a search that does not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAutoML } from '../../src/automl/run.js';
import { RunControl } from '../../src/automl/control.js';
import { ReportHandler } from '../../src/report/report-handler.js';
import { buildReport } from '../../src/report/build-report.js';
import { parseWatch } from '../../src/cli/report.js';
import { automlConfig, makeMmar, trainConfig } from '../automl/fixtures/mmar.js';
import { runCli } from '../cli/run-cli.js';

test(
  'a finished search: report.html written at the end; `report` and `automl status` read the run folder; errors are one line',
  { timeout: 120_000 },
  async () => {
    const mmar = makeMmar({
      train: trainConfig({ epochs: 3 }),
      automl: automlConfig({ controller: { name: 'RandomController', args: { max_rounds: 3, max_jobs_per_round: 2, seed: 2 } } }),
    });
    const control = new RunControl({ log: () => {} });
    const s = await runAutoML({
      mmarRoot: mmar,
      runId: 'r',
      vars: { trainconf: 'trn_automl.json' },
      workers: 'cpu:cpu',
      log: () => {},
      onEngine: (e) => control.attach(e),
      extraHandlers: [
        { name: 'ReportHandler', handler: new ReportHandler({ log: () => {} }) },
        { name: 'RunControl', handler: control },
      ],
    });
    assert.equal(s.outcomes.length, 6);
    const runRoot = join(mmar, 'automl', 'r');
    for (const f of ['report.html', 'run_info.json', 'search_space.json', 'status.json']) assert.ok(existsSync(join(runRoot, f)), f);
    const html = readFileSync(join(runRoot, 'report.html'), 'utf8');
    // Six jobs in the leaderboard, the best first; the three searched things are axes; no images (fake jobs have no model).
    assert.equal((html.match(/<tr( class="best")?><td class="num">\d+<\/td>/g) ?? []).length, 6);
    const best = s.outcomes.reduce((b, o) => (o.score > b.score ? o : b));
    assert.match(html, new RegExp(`<tr class="best"><td class="num">1</td><td>${best.jobName}</td>`));
    for (const axis of ['learning_rate (log)', 'useDice,useFocal', 'use_amp', 'gamma']) assert.ok(html.includes(`>${axis}<`), `axis ${axis}`);
    assert.match(html, /No prediction images: W\d_\d+_J\d+ has no checkpoint folder|No prediction images: .*validation list/);
    assert.match(html, /data-chart="importance" data-points="[1-9]/);
    assert.doesNotMatch(html, /http-equiv="refresh"/);

    // The CLI: report to another file, --watch on an ended run returns at once.
    const out = join(mmar, 'r.html');
    const r = runCli(['report', '-m', mmar, '--run-id', 'r', '-o', out, '--watch', '1', '--no-images']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`report ${out}: 6 job\\(s\\), best ${best.jobName}`));
    assert.doesNotMatch(readFileSync(out, 'utf8'), /http-equiv="refresh"/);
    // A page made while watching reloads itself.
    await buildReport({ mmarRoot: mmar, runId: 'r', output: join(mmar, 'w.html'), images: false, refreshS: 7 });
    assert.match(readFileSync(join(mmar, 'w.html'), 'utf8'), /<meta http-equiv="refresh" content="7">/);

    const st = runCli(['automl', 'status', '-m', mmar, '--run-id', 'r']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /automl r: ended/);
    assert.match(st.stdout, new RegExp(`best so far: ${best.jobName}`));
    const stop = runCli(['automl', 'stop', '-m', mmar, '--run-id', 'r']);
    assert.notEqual(stop.code, 0);
    assert.match(stop.stderr, /run 'r' is not running/);
    const missing = runCli(['report', '-m', mmar, '--run-id', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    assert.match(missing.stderr, /no AutoML run 'nope'/);
    const noWorker = runCli(['automl', 'suspend-worker', '-m', mmar, '--run-id', 'r', '--worker', 'x']);
    assert.match(noWorker.stderr, /expected a worker number/);
    assert.throws(() => parseWatch('0'), /--watch SECONDS >= 1/);
    assert.equal(parseWatch(true), 10);
  },
);
