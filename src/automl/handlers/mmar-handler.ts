// MMARHandler (Clara's): stops the search when a score reaches stop_threshold, keeps the
// num_mmars_to_keep best job folders (deleting worse ones as jobs end), and keeps a copy
// of the best job at automl/<run_id>/best/. train_config_file, work_dir and
// key_mmar_content_only are read by the command that builds the executor.
import { Args } from '../../components/args.js';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Place } from '../controllers/base.js';
import type { Context, Handler, Outcome } from '../types.js';
import { removeChild } from '../../util/remove-child.js';
import { replaceDirWith } from '../../util/atomic-fs.js';
import { betterThan, byScoreDesc } from '../../jobs/objective.js';

export const MMAR_HANDLER_ARGS = ['stop_threshold', 'num_mmars_to_keep', 'train_config_file', 'work_dir', 'key_mmar_content_only'];

export class MMARHandler implements Handler {
  readonly stopThreshold: number | undefined;
  readonly numToKeep: number | undefined;
  readonly trainConfigFile: string | undefined;
  readonly workDir: string | undefined;
  readonly keyContentOnly: boolean;
  private ended: Outcome[] = [];
  private best: Outcome | undefined;

  constructor(args: Record<string, unknown> = {}, place: Place = { file: 'config_automl.json', path: 'handlers' }) {
    const r = new Args(args, place).allow(MMAR_HANDLER_ARGS, 'MMARHandler');
    this.stopThreshold = r.optNum('stop_threshold');
    this.numToKeep = r.optNum('num_mmars_to_keep', { int: true, min: 1 });
    this.trainConfigFile = r.optStr('train_config_file');
    this.workDir = r.optStr('work_dir');
    this.keyContentOnly = r.bool('key_mmar_content_only', true);
  }

  startup(ctx: Context): void {
    const prev = ctx.props.resumedOutcomes;
    if (Array.isArray(prev)) for (const o of prev as Outcome[]) this.note(o);
    // A stop between the engine's journal and this handler's end_job can leave best/ behind
    // the best finished job: copy it again on resume.
    if (this.best && existsSync(join(ctx.RUN_ROOT, this.best.jobName))) copyBest(ctx.RUN_ROOT, join(ctx.RUN_ROOT, this.best.jobName));
  }

  private note(o: Outcome): boolean {
    if (o.status !== 'FINISHED' && o.status !== 'PRUNED') return false;
    this.ended.push(o);
    if (betterThan(o, this.best)) {
      this.best = o;
      return true;
    }
    return false;
  }

  endJob(ctx: Context): void {
    const o = ctx.OUTCOME;
    if (!o) return;
    const isBest = this.note(o);
    if (isBest && ctx.JOB_MMAR_ROOT && existsSync(ctx.JOB_MMAR_ROOT)) copyBest(ctx.RUN_ROOT, ctx.JOB_MMAR_ROOT);
    if (this.numToKeep !== undefined) {
      // Under a successive-halving scheduler the rungs of one configuration share its folder.
      const folder = (x: Outcome) => x.rung?.folder ?? x.jobName;
      const ranked = [...this.ended]
        .sort(byScoreDesc)
        .map(folder)
        .filter((f, i, all) => all.indexOf(f) === i);
      for (const worse of ranked.slice(this.numToKeep)) removeChild(ctx.RUN_ROOT, worse);
    }
    if (
      this.stopThreshold !== undefined &&
      (o.status === 'FINISHED' || o.status === 'PRUNED') &&
      (o.lowerIsBetter ? o.score <= this.stopThreshold : o.score >= this.stopThreshold)
    ) {
      process.stderr.write(
        `automl: ${o.jobName} scored ${o.score} ${o.lowerIsBetter ? '<=' : '>='} stop_threshold ${this.stopThreshold}: stopping the search\n`,
      );
      ctx.stopRequested = true;
    }
  }
}

/** automl/<run_id>/best/ ← a copy of the job folder (copied aside first, then swapped in). */
export function copyBest(runRoot: string, jobRoot: string): void {
  replaceDirWith(join(runRoot, 'best'), (tmp) => cpSync(jobRoot, tmp, { recursive: true }));
}
