// clara-train report -m MMAR --run-id R [-o report.html] [--watch [S]] [--no-images]:
// the AutoML run's HTML report (one self-contained file); --watch rewrites it every S
// seconds (the page reloads itself) until the search ends.
import type { Command } from 'commander';
import { buildReport } from '../report/build-report.js';
import { ClaraError } from '../util/errors.js';

interface Opts {
  mmar: string;
  runId?: string;
  output?: string;
  watch?: string | boolean;
  images: boolean;
}

export function parseWatch(v: string | boolean | undefined): number | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return 10;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1) throw new ClaraError(`expected --watch SECONDS >= 1, got '${v}'`, { path: '--watch' });
  return n;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write the HTML report of an AutoML run (leaderboard, plots, learning curves, prediction images, system metrics)')
    .requiredOption('-m, --mmar <dir>', 'MMAR root')
    .option('--run-id <name>', 'run id (automl/<run_id>/)')
    .option('-o, --output <file>', 'the HTML file (default automl/<run_id>/report.html)')
    .option('--watch [seconds]', 'rewrite the report every SECONDS (10) until the search ends')
    .option('--no-images', 'skip the prediction images (no inference)')
    .action(async (o: Opts) => {
      if (!o.runId) throw new ClaraError('a run id is required: --run-id NAME', { path: '--run-id' });
      const every = parseWatch(o.watch);
      const log = (l: string) => process.stderr.write(l + '\n');
      for (;;) {
        const r = await buildReport({
          mmarRoot: o.mmar,
          runId: o.runId,
          ...(o.output ? { output: o.output } : {}),
          images: o.images,
          log,
          ...(every ? { refreshS: every } : {}),
        });
        const ended = r.data.ended;
        if (!every || ended) {
          if (every) await buildReport({ mmarRoot: o.mmar, runId: o.runId, ...(o.output ? { output: o.output } : {}), images: o.images, log });
          process.stdout.write(
            `report ${r.file}: ${r.data.jobs.length} job(s)${r.data.best ? `, best ${r.data.best.name} ${r.data.best.score}` : ''}, ${r.images} image(s)${r.imagesNote ? ` (no images: ${r.imagesNote})` : ''}\n`,
          );
          return;
        }
        process.stderr.write(`report: ${r.file} updated (${r.data.jobs.length} job(s)); next in ${every} s (Ctrl-C stops)\n`);
        await new Promise((res) => setTimeout(res, every * 1000));
      }
    });
}
