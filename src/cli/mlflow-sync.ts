// `clara-train mlflow sync --to URI (--journal FILE | --run-dir DIR)`: sends whatever the
// destination does not have yet from a tracking journal (after an outage, or to push a
// local mlruns-tracked search to a server). Safe to repeat: nothing is sent twice.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { syncJournal } from '../tracking/create-tracker.js';
import { redactUri } from '../tracking/mlflow/config.js';
import { ClaraError } from '../util/errors.js';

export async function mlflowSync(opts: { to?: string; journal?: string; runDir?: string }): Promise<number> {
  const to = opts.to || process.env.MLFLOW_TRACKING_URI;
  if (!to) throw new ClaraError('mlflow sync: --to URI is required (or set MLFLOW_TRACKING_URI)');
  if (!!opts.journal === !!opts.runDir) throw new ClaraError('mlflow sync: give exactly one of --journal FILE or --run-dir DIR');
  const journal = opts.journal ?? join(opts.runDir as string, 'tracking.jsonl');
  if (!existsSync(journal)) {
    throw new ClaraError(`no tracking journal here (expected ${opts.runDir ? 'automl/<run_id>/tracking.jsonl' : 'a tracking.jsonl file'})`, { file: journal });
  }
  const r = await syncJournal(journal, to, { log: (m) => process.stderr.write(`mlflow sync: ${m}\n`) });
  if (r.error) {
    process.stderr.write(`mlflow sync: stopped, ${r.remainingBytes} journal bytes not sent to ${redactUri(to)}: ${r.error}\n`);
    return 1;
  }
  process.stdout.write(`mlflow sync: ${r.applied} event(s) sent to ${redactUri(to)}; up to date\n`);
  return 0;
}

export function registerMlflowSync(program: Command): void {
  const mlflow = program.command('mlflow').description('MLflow tracking tools');
  mlflow
    .command('sync')
    .description('send a tracking journal to an MLflow server or mlruns folder (only what is missing)')
    .option('--to <uri>', 'tracking URI: http(s)://host:port, file:/path or a folder (default $MLFLOW_TRACKING_URI)')
    .option('--journal <file>', 'a tracking.jsonl journal')
    .option('--run-dir <dir>', 'an AutoML run folder (automl/<run_id>) holding tracking.jsonl')
    .action(async (o: { to?: string; journal?: string; runDir?: string }) => {
      const code = await mlflowSync(o);
      if (code !== 0) process.exitCode = code;
    });
}
