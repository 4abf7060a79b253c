// Clara's own AutoML configs run: built-in names map to ours, a BYOC handler and a BYOC
// random controller ship as an ES module in the MMAR (myAutoMLController.js), and a BYOC
// path whose module is missing is an error naming it and where it was looked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAutoML } from '../../src/automl/run.js';
import { FAKE_TRAIN, makeMmar } from './fixtures/mmar.js';

const EXAMPLES = '/work/shared/clara-examples';
// The fixtures are part of the project's shared tree; under CI their absence is a failure, not a skip.
const haveExamples = existsSync(EXAMPLES) || process.env.CI === 'true';

// A BYOC module in Clara's manner: snake_case methods, a random controller with max_rounds.
const MY_MODULE = `
import { appendFileSync } from 'node:fs';
export class MyHandler {
  constructor(args) { this.args = args; }
  startup(ctx) { this.file = ctx.RUN_ROOT + '/my_handler.log'; appendFileSync(this.file, 'startup\\n'); }
  end_job(ctx) { appendFileSync(this.file, 'end_job ' + ctx.JOB_NAME + ' ' + ctx.SCORE + '\\n'); }
  shutdown(ctx) { appendFileSync(this.file, 'shutdown\\n'); }
}
export class RandomController {
  constructor(args) { this.maxRounds = args.max_rounds ?? 4; this.n = 0; this.state = 12345; }
  rand() { this.state = (this.state * 1103515245 + 12345) % 2147483648; return this.state / 2147483648; }
  set_search_space(space, ctx) { this.space = space; }
  sample() {
    const values = {};
    for (const it of this.space.items) {
      if (it.type === 'enum') values[it.key] = Math.floor(this.rand() * it.choices.length);
      else values[it.key] = it.range[0] + this.rand() * (it.range[1] - it.range[0]);
    }
    return { id: this.n++, values };
  }
  initial_recommendation(ctx) { return [this.sample()]; }
  refine_recommendation(outcome, ctx) { return this.n < this.maxRounds ? [this.sample()] : []; }
}
`;

function claraMmar(automl: string, trainconf: string, withModule: boolean): string {
  const mmar = makeMmar({ files: withModule ? { 'custom/myAutoMLController.js': MY_MODULE } : {} });
  copyFileSync(join(EXAMPLES, automl), join(mmar, 'config', 'config_automl.json'));
  copyFileSync(join(EXAMPLES, trainconf), join(mmar, 'config', trainconf.split('/').pop()!));
  return mmar;
}

async function withTrainCommand<T>(fn: () => Promise<T>): Promise<T> {
  const prev = process.env.CLARA_TRAIN_COMMAND;
  process.env.CLARA_TRAIN_COMMAND = JSON.stringify([process.execPath, FAKE_TRAIN, '{mmar}']);
  try {
    return await fn();
  } finally {
    if (prev === undefined) delete process.env.CLARA_TRAIN_COMMAND;
    else process.env.CLARA_TRAIN_COMMAND = prev;
  }
}

test('clara4/config_automl_BYO_RandomController.json runs with a JS BYOC handler and controller', { skip: !haveExamples && 'no clara-examples' }, async () => {
  const mmar = claraMmar('clara4/config_automl_BYO_RandomController.json', 'clara4/trn_autoML_LR_LP.json', true);
  const lines: string[] = [];
  const s = await withTrainCommand(() =>
    runAutoML({ mmarRoot: mmar, runId: 'byoc', vars: { trainconf: 'trn_autoML_LR_LP.json' }, workers: 'cpu:cpu', log: (l) => lines.push(l) }),
  );
  assert.equal(s.outcomes.length, 8);
  assert.ok(
    s.outcomes.every((o) => o.status === 'FINISHED'),
    JSON.stringify(s.outcomes.map((o) => o.error)),
  );
  const log = readFileSync(join(mmar, 'automl', 'byoc', 'my_handler.log'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(log[0], 'startup');
  assert.equal(log.filter((l) => l.startsWith('end_job W')).length, 8);
  assert.equal(log.at(-1), 'shutdown');
  assert.ok(lines.some((l) => /work_dir \/claraDevDay\/AutoML\/models does not exist here/.test(l)));
  // The searched lr reached the concrete config.
  const cfg = JSON.parse(readFileSync(join(mmar, 'automl', 'byoc', 'best', 'config', 'config_train.json'), 'utf8'));
  assert.ok(cfg.learning_rate >= 1e-4 && cfg.learning_rate <= 1e-3 && !('search' in cfg));
  rmSync(mmar, { recursive: true, force: true });
});

test(
  'clara4/config_automl.json (ReinforcementController, max_rounds 8) runs on the Loss/Optimizer search',
  { skip: !haveExamples && 'no clara-examples' },
  async () => {
    const mmar = claraMmar('clara4/config_automl.json', 'clara4/trn_autoML_Loss_Optimizer.json', false);
    const s = await withTrainCommand(() =>
      runAutoML({ mmarRoot: mmar, runId: 'rl', vars: { trainconf: 'trn_autoML_Loss_Optimizer.json' }, workers: 'cpu:cpu', log: () => {} }),
    );
    assert.equal(s.outcomes.length, 16, '8 rounds × 2 workers');
    const rounds = new Set(s.outcomes.map((o) => o.jobName.split('_')[1]));
    assert.equal(rounds.size, 8);
    const stats = JSON.parse(readFileSync(join(mmar, 'automl', 'rl', 'stats.json'), 'utf8'));
    assert.equal(stats.jobs, 16);
    // The concrete configs switch exactly one loss on.
    const cfg = JSON.parse(readFileSync(join(mmar, 'automl', 'rl', 'best', 'config', 'config_train.json'), 'utf8'));
    assert.notEqual(cfg.mySearchLoss1, cfg.mySearchLoss2);
    rmSync(mmar, { recursive: true, force: true });
  },
);

test(
  'clara3/config_automl_BYO_handler.json: a missing BYOC module is an error naming it; with it the run goes, TensorBoard skipped with a notice',
  { skip: !haveExamples && 'no clara-examples' },
  async () => {
    const missing = claraMmar('clara3/config_automl_BYO_handler.json', 'clara3/trn_autoML_AMP.json', false);
    await assert.rejects(
      withTrainCommand(() => runAutoML({ mmarRoot: missing, runId: 'x', vars: { trainconf: 'trn_autoML_AMP.json' }, log: () => {} })),
      (e: Error) =>
        /config_automl\.json: handlers\[4\]\.path: BYOC module for "myAutoMLController\.MyHandler" not found; looked for .*custom\/myAutoMLController\.js/.test(
          e.message,
        ),
    );
    rmSync(missing, { recursive: true, force: true });

    const mmar = claraMmar('clara3/config_automl_BYO_handler.json', 'clara3/trn_autoML_AMP.json', true);
    const written: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (orig as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    let s;
    try {
      s = await withTrainCommand(() => runAutoML({ mmarRoot: mmar, runId: 'c3', vars: { trainconf: 'trn_autoML_AMP.json' }, workers: 'cpu', log: () => {} }));
    } finally {
      process.stderr.write = orig;
    }
    assert.equal(s.outcomes.length, 8, 'ReinforcementController max_rounds 8 × 1 worker');
    assert.ok(written.some((w) => /MMARTensorboardHandler: TensorBoard is not supported.*skipped/.test(w)));
    rmSync(mmar, { recursive: true, force: true });
  },
);
