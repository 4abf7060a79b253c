// clara-train automl -m MMAR --set run_id=NAME trainconf=FILE workers=0:0:1:1
// (Clara's form; also --run-id, --workers, --resume, --config, --seed).
import type { Command } from 'commander';
import { runAutoML } from '../automl/run.js';
import { checkRunId } from '../automl/run-id.js';
import { ClaraError } from '../util/errors.js';
import { setOverrideTexts } from '../mmar/overrides.js';
import { ReportHandler } from '../report/report-handler.js';
import { RunControl } from '../automl/control.js';
import { registerAutoMLControl } from './automl-control.js';
import './builtins.js';

export function registerAutoML(program: Command): void {
  const automl = program
    .command('automl')
    .description(
      'run an AutoML search over the MMAR (config/config_automl.json + the search entries of the train config); status, stop, suspend-worker, resume-worker steer a running one',
    )
    .enablePositionalOptions()
    .option('-m, --mmar <dir>', 'MMAR root')
    .option('--set <kv...>', "Clara's variables: run_id=NAME trainconf=FILE workers=0:0:1:1", [])
    .option('--run-id <name>', 'run id (automl/<run_id>/)')
    .option('--workers <spec>', "workers: ':' between workers, ',' between a worker's GPUs, 'cpu' a CPU slot")
    .option('--config <file>', 'AutoML config, relative to the MMAR', 'config/config_automl.json')
    .option('--resume', 'continue a killed run from automl/<run_id>/journal.jsonl')
    .option('--seed <n>', 'controller seed (default: random, journalled)')
    .option('--no-report', 'do not write automl/<run_id>/report.html at the end')
    .action(
      async (opts: { mmar?: string; set: string[]; runId?: string; workers?: string; config: string; resume?: boolean; seed?: string; report: boolean }) => {
        if (!opts.mmar) throw new ClaraError('the MMAR is required: -m MMAR', { path: '-m' });
        const mmar = opts.mmar;
        const vars = setOverrideTexts(opts.set);
        const runId = opts.runId ?? vars.run_id;
        if (!runId) throw new ClaraError('a run id is required: --set run_id=NAME or --run-id NAME', { path: 'run_id' });
        checkRunId(runId);
        let seed: number | undefined;
        if (opts.seed !== undefined || vars.seed !== undefined) {
          seed = Number(opts.seed ?? vars.seed);
          if (!Number.isInteger(seed) || seed < 0)
            throw new ClaraError(`expected a non-negative integer seed, got '${opts.seed ?? vars.seed}'`, { path: '--seed' });
        }
        const control = new RunControl();
        let stopping = false;
        let engineRef: { stop(r: string): void } | undefined;
        const onSignal = (sig: string) => {
          if (stopping) process.exit(130);
          stopping = true;
          process.stderr.write(`automl: ${sig}: stopping (running jobs are killed; --resume continues the run)\n`);
          engineRef?.stop(sig);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const summary = await runAutoML({
            mmarRoot: mmar,
            runId,
            vars,
            config: opts.config,
            resume: Boolean(opts.resume),
            workers: opts.workers ?? vars.workers,
            ...(seed !== undefined ? { seed } : {}),
            onEngine: (e) => {
              engineRef = e;
              control.attach(e);
            },
            // Shutdown runs in reverse: the status says 'ended' first, then the report is written (and logged by MLflowHandler).
            extraHandlers: [...(opts.report ? [{ name: 'ReportHandler', handler: new ReportHandler() }] : []), { name: 'RunControl', handler: control }],
          });
          const b = summary.best;
          process.stdout.write(
            b
              ? `automl ${runId}: ${summary.outcomes.length} job(s); best ${b.jobName} score ${b.score} → ${summary.runRoot}/best\n`
              : `automl ${runId}: ${summary.outcomes.length} job(s); no job produced a score\n`,
          );
          if (!b && summary.outcomes.length > 0) process.exitCode = 1;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    );
  registerAutoMLControl(automl);
}
