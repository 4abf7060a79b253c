// ReportHandler: records what the report needs while the search runs (run_info.json: the
// machine; search_space.json) and writes automl/<run_id>/report.html when it ends. It is
// added after the config's handlers, so its shutdown runs before theirs (shutdown goes in
// reverse order) and the MLflow handler finds the report to log on the parent run.
import type { Context, Handler } from '../automl/types.js';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { join } from 'node:path';
import { buildReport } from './build-report.js';
import { writeRunInfo } from './run-info.js';

export class ReportHandler implements Handler {
  constructor(private readonly o: { images?: boolean; log?: (l: string) => void } = {}) {}

  private get log(): (l: string) => void {
    return this.o.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  startup(ctx: Context): void {
    writeRunInfo(ctx.RUN_ROOT, ctx.props);
  }

  searchSpaceAvailable(ctx: Context): void {
    if (ctx.SEARCH_SPACE) writeJsonAtomic(join(ctx.RUN_ROOT, 'search_space.json'), ctx.SEARCH_SPACE);
  }

  async shutdown(ctx: Context): Promise<void> {
    const r = await buildReport({ mmarRoot: ctx.MMAR_ROOT, runId: ctx.RUN_ID, images: this.o.images, log: this.log });
    this.log(`automl: report ${r.file}${r.imagesNote ? ` (no prediction images: ${r.imagesNote})` : ''}`);
  }
}
