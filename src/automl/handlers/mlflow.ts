// MLflowHandler (config_automl.json handler; args: tracking_uri, experiment_name, tags):
// one experiment per MMAR (or the given name), a parent run per AutoML run, a child run
// per job with its concrete search values, per-epoch metrics, score, status and artifacts.
// Everything goes through the journal at automl/<run_id>/tracking.jsonl first.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext } from '../../config/registry.js';
import type { SearchSpace, ConcreteValues } from '../../config/search-types.js';
import type { Context, Fidelity, Handler, JobEvent, Outcome, RungInfo } from '../types.js';
import { outcomeTags } from '../outcome-tags.js';
import { rungScore } from '../search-objective.js';
import { jobCkptDir, jobTrainStatsFile } from '../../jobs/paths.js';
import { readSystemSamples } from '../../jobs/system-metrics.js';
import { readTrainStats } from '../../jobs/train-stats.js';
import { writeJsonAtomic } from '../../util/atomic-fs.js';
import { Args } from '../../components/args.js';
import { createTracker, type TrackingSetup } from '../../tracking/create-tracker.js';
import type { JournalTracker } from '../../tracking/journal-tracker.js';
import type { RunRef, RunStatus } from '../../tracking/tracker.js';
import { TrainRunLogger, mmarArtifacts, mmarName } from '../../tracking/train-run-logger.js';
import { redactUri } from '../../tracking/mlflow/config.js';
import { byScoreDesc, searchScore } from '../../jobs/objective.js';

export interface MLflowHandlerArgs {
  tracking_uri?: string;
  experiment_name?: string;
  tags?: Record<string, string>;
}

export interface MLflowHandlerOptions extends Pick<TrackingSetup, 'env' | 'log' | 'retry' | 'requestRetries'> {
  /** How long shutdown waits for the server to take everything (ms); default 60 s. */
  shutdownTimeoutMs?: number;
}

interface JobEntry {
  logger: TrainRunLogger;
  name: string;
  folds?: Map<number, Promise<TrainRunLogger>>;
  continued?: boolean;
}

export class MLflowHandler implements Handler {
  tracker?: JournalTracker;
  parent?: RunRef;
  private readonly jobs = new Map<string, JobEntry>();
  /** Runs of interrupted jobs that continue from their checkpoint on resume (job name → run), taken by startJob. */
  private readonly continued = new Map<string, { localId: string; ended?: RunStatus; epoch: number }>();
  private best = -Infinity;
  private finished = 0;
  private readonly outcomes: Outcome[] = [];
  /** The backends the jobs said they train on (their train_start events): the parent run's clara.backend. */
  private readonly backends = new Set<string>();
  private log: (m: string) => void;

  constructor(
    readonly args: MLflowHandlerArgs = {},
    readonly opts: MLflowHandlerOptions = {},
  ) {
    this.log = opts.log ?? ((m) => process.stderr.write(`MLflowHandler: ${m}\n`));
  }

  private get t(): JournalTracker {
    if (!this.tracker) throw new Error('MLflowHandler: startup() was not called');
    return this.tracker;
  }

  async startup(ctx: Context): Promise<void> {
    this.tracker = createTracker({
      journal: join(ctx.RUN_ROOT, 'tracking.jsonl'),
      trackingUri: this.args.tracking_uri,
      experimentName: this.args.experiment_name,
      fallbackExperiment: mmarName(ctx.MMAR_ROOT),
      env: this.opts.env,
      log: this.opts.log,
      retry: this.opts.retry,
      requestRetries: this.opts.requestRetries,
    });
    const name = `automl_${ctx.RUN_ID}`;
    // On resume the parent run of this AutoML run is reused.
    this.parent = this.t.findRun(name);
    if (!this.parent) {
      this.parent = await this.t.startRun({
        name,
        tags: { ...(this.args.tags ?? {}), 'clara.automl_run_id': ctx.RUN_ID, 'clara.mmar': ctx.MMAR_ROOT, 'clara.kind': 'automl' },
      });
      const p: Record<string, string | number | boolean> = { run_id: ctx.RUN_ID, mmar: ctx.MMAR_ROOT };
      for (const [k, v] of Object.entries(ctx.props ?? {})) p[k] = typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as string | number | boolean);
      this.t.logParams(this.parent, p);
      const tags: Record<string, string> = {};
      for (const k of ['controller', 'executor', 'workers']) {
        const v = ctx.props?.[k];
        if (v !== undefined) tags[`clara.${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
      }
      if (Object.keys(tags).length) this.t.setTags(this.parent, tags);
    } else {
      await this.resumeRuns(ctx);
    }
  }

  /**
   * On resume: the jobs that ended before the stop count toward the leaderboard and the
   * best score; one whose end was not tracked yet (the stop came between the engine's
   * journal and this handler) is finished now from its outcome. Jobs that were running
   * (never ended, or ended KILLED by a signal) and continue from their last checkpoint
   * keep their run: it is reopened when the job starts again and its metric history goes
   * on (ctx.props.continuedJobs). The others are rerun under a new run: their attempt is
   * ended KILLED and deleted (MLflow's lifecycle stage; restorable), so that every job
   * has exactly one run.
   */
  private async resumeRuns(ctx: Context): Promise<void> {
    const parent = this.parent!;
    const prev = Array.isArray(ctx.props?.resumedOutcomes) ? (ctx.props.resumedOutcomes as Outcome[]) : [];
    const open = this.t
      .knownRuns()
      .filter((r) => r.parent === parent.localId && !r.deleted && (!r.ended || r.ended === 'KILLED'))
      .map((r) => ({ localId: r.localId, name: r.name, ended: r.ended }));
    const continuing = (ctx.props?.continuedJobs ?? {}) as Record<string, number>;
    const completed = new Set<string>();
    for (const o of prev) {
      this.finished++;
      this.outcomes.push(o);
      const run = open.find((r) => r.name === o.jobName && !r.ended);
      if (run) {
        completed.add(run.localId);
        await new TrainRunLogger(this.t, { localId: run.localId }).finish({
          status: o.status === 'FINISHED' ? 'FINISHED' : 'FAILED',
          score: o.score,
          step: this.finished,
          error: o.error,
          artifacts: mmarArtifacts(join(ctx.RUN_ROOT, o.jobName)),
        });
        if (Number.isFinite(o.score)) this.t.logMetrics(parent, [{ key: 'job_score', value: o.score, step: this.finished }]);
      }
      if (Number.isFinite(o.score) && searchScore(o) > this.best) {
        this.best = searchScore(o);
        if (run) {
          this.t.logMetrics(parent, [{ key: 'best_score', value: o.score, step: this.finished }]);
          this.t.setTags(parent, { 'clara.best_job': o.jobName });
        }
      }
    }
    for (const r of open) {
      if (completed.has(r.localId)) continue;
      const epoch = continuing[r.name];
      // the job's latest run is the one that continues
      if (typeof epoch === 'number' && open.filter((x) => x.name === r.name).at(-1) === r) {
        this.continued.set(r.name, { localId: r.localId, ended: r.ended, epoch });
        continue;
      }
      const ref = { localId: r.localId };
      if (!r.ended) await this.t.endRun(ref, 'KILLED');
      this.t.setTags(ref, { 'clara.interrupted': 'true: rerun by automl --resume' });
      await this.t.deleteRun(ref);
    }
  }

  searchSpaceAvailable(ctx: Context): void {
    const space = ctx.SEARCH_SPACE;
    if (!space || !this.parent) return;
    const p: Record<string, string | number> = { 'search_space.size': space.items.length };
    for (const it of space.items) {
      p[`search_space/${it.key}`] = `${it.type} ${it.range ? JSON.stringify(it.range) + (it.log ? ' log' : '') : JSON.stringify(it.choices ?? [])}`;
    }
    this.t.logParams(this.parent, p);
  }

  async startJob(ctx: Context): Promise<void> {
    const jobName = ctx.JOB_NAME;
    if (!jobName || !this.parent) return;
    const tags: Record<string, string> = { ...(this.args.tags ?? {}), 'clara.job_name': jobName, 'clara.automl_run_id': ctx.RUN_ID, 'clara.kind': 'job' };
    if (ctx.WORKER) tags['clara.worker'] = `${ctx.WORKER.id}${ctx.WORKER.gpus.length ? ` (gpus ${ctx.WORKER.gpus.join(',')})` : ''}`;
    if (ctx.JOB_RUNG) Object.assign(tags, rungTags(ctx.JOB_RUNG));
    const values = ctx.CONCRETE_SEARCH_VALUE ?? {};
    const prev = this.continued.get(jobName);
    if (prev) {
      this.continued.delete(jobName);
      const ref = { localId: prev.localId };
      if (prev.ended) await this.t.reopenRun(ref);
      this.t.setTags(ref, { 'clara.resumed_from_epoch': String(prev.epoch) });
      // the steps it logged before the stop are not logged again
      this.jobs.set(jobName, { logger: new TrainRunLogger(this.t, ref, this.t.loggedMetricSteps(ref)), name: jobName, continued: true });
      return;
    }
    const logger = await TrainRunLogger.start(this.t, {
      name: jobName,
      parentId: this.parent.localId,
      tags,
      params: readableParams(values, ctx.SEARCH_SPACE),
    });
    this.jobs.set(jobName, { logger, name: jobName });
  }

  async jobProgress(ctx: Context, e: JobEvent): Promise<void> {
    const job = ctx.JOB_NAME ? this.jobs.get(ctx.JOB_NAME) : undefined;
    if (!job) return;
    if (e.type === 'train_start' && typeof e.info?.backend === 'string') this.tagBackend(job.logger.run, e.info.backend);
    if (e.fold === undefined) {
      job.logger.onEvent(e);
      return;
    }
    // a cross-validated job: one run nested in the configuration's run per fold
    job.folds ??= new Map();
    let fold = job.folds.get(e.fold);
    if (!fold) {
      fold = TrainRunLogger.start(this.t, {
        name: `${job.name}/fold${e.fold}`,
        parentId: job.logger.run.localId,
        tags: { 'clara.job_name': job.name, 'clara.fold': String(e.fold), 'clara.kind': 'fold' },
      });
      job.folds.set(e.fold, fold);
    }
    (await fold).onEvent(e);
  }

  /** A job's backend (from its own train_start event, since automl loads no engine) on its run and, as the set of all, on the parent. */
  private tagBackend(run: RunRef, backend: string): void {
    this.t.setTags(run, { 'clara.backend': backend });
    if (this.backends.has(backend) || !this.parent) return;
    this.backends.add(backend);
    this.t.setTags(this.parent, { 'clara.backend': [...this.backends].sort().join(', ') });
  }

  async endJob(ctx: Context): Promise<void> {
    const jobName = ctx.JOB_NAME ?? ctx.OUTCOME?.jobName;
    const job = jobName ? this.jobs.get(jobName) : undefined;
    if (!job || !this.parent) return;
    this.jobs.delete(job.name);
    const outcome = ctx.OUTCOME;
    if (outcome) this.t.setTags(job.logger.run, outcomeTags(outcome));
    const score = ctx.SCORE ?? outcome?.score;
    const jobStatus = ctx.JOB_STATUS ?? outcome?.status ?? 'FAILED';
    const status: RunStatus = jobStatus === 'FINISHED' ? 'FINISHED' : jobStatus === 'KILLED' ? 'KILLED' : 'FAILED';
    this.finished++;
    if (outcome) this.outcomes.push(outcome);
    const root = ctx.JOB_MMAR_ROOT ?? join(ctx.RUN_ROOT, job.name);
    // a continued job (a resumed search's, or a cluster job requeued from its checkpoint): the epochs up to
    // its checkpoint whose events the kill lost come from its train_stats.json (a promotion's folder holds earlier rungs too)
    if (job.continued || (outcome?.resumedFromEpoch !== undefined && !outcome.rung?.promoted)) {
      const stats = readTrainStats(jobTrainStatsFile(root));
      if (stats) job.logger.logEpochStats(stats);
      // and its system-metric samples (their steps go on across the resume)
      job.logger.logSystemSamples(readSystemSamples(jobCkptDir(root)));
    }
    for (const [f, fold] of job.folds ?? []) {
      const fo = outcome?.folds?.find((x) => x.fold === f);
      await (
        await fold
      ).finish({ status: fo?.status === 'FINISHED' ? 'FINISHED' : fo?.status === 'KILLED' || !fo ? 'KILLED' : 'FAILED', score: fo?.score, step: f });
    }
    // The key metric at the rung's epoch (what successive halving compared), in the metric's own terms.
    const atRung = outcome?.rung ? rungScore(outcome) : undefined;
    if (outcome?.rung && atRung !== undefined && Number.isFinite(atRung))
      this.t.logMetrics(job.logger.run, [{ key: 'rung_score', value: outcome.lowerIsBetter ? -atRung : atRung, step: outcome.rung.epochs }]);
    await job.logger.finish({
      status,
      score,
      step: this.finished,
      error: outcome?.error,
      artifacts: mmarArtifacts(root),
    });
    if (score !== undefined && Number.isFinite(score)) {
      this.t.logMetrics(this.parent, [{ key: 'job_score', value: score, step: this.finished }]);
      const ss = outcome ? searchScore(outcome) : score;
      if (outcome?.lowerIsBetter && this.best === -Infinity) this.t.setTags(this.parent, { 'clara.objective': 'minimize' });
      if (ss > this.best) {
        this.best = ss;
        this.t.logMetrics(this.parent, [{ key: 'best_score', value: score, step: this.finished }]);
        this.t.setTags(this.parent, { 'clara.best_job': job.name });
      }
    }
  }

  async shutdown(ctx: Context): Promise<void> {
    if (!this.tracker || !this.parent) return;
    // Jobs still open (the search was stopped) end as killed.
    for (const job of this.jobs.values()) {
      for (const fold of job.folds?.values() ?? []) await (await fold).finish({ status: 'KILLED' });
      await job.logger.finish({ status: 'KILLED' });
    }
    this.jobs.clear();
    // continued runs whose job did not start again before this stop: ended KILLED (the next --resume reopens them)
    for (const r of this.continued.values()) if (!r.ended) await this.t.endRun({ localId: r.localId }, 'KILLED');
    this.continued.clear();
    const board = leaderboard(this.outcomes);
    const file = join(ctx.RUN_ROOT, 'leaderboard.json');
    writeJsonAtomic(file, board);
    this.t.logArtifact(this.parent, file, '');
    // The HTML report and its prediction images (written by the ReportHandler's shutdown, which runs first).
    if (existsSync(join(ctx.RUN_ROOT, 'report.html'))) this.t.logArtifact(this.parent, join(ctx.RUN_ROOT, 'report.html'), '');
    if (existsSync(join(ctx.RUN_ROOT, 'report', 'images'))) this.t.logArtifact(this.parent, join(ctx.RUN_ROOT, 'report', 'images'), 'report_images');
    this.t.logMetrics(this.parent, [{ key: 'jobs_finished', value: this.finished, step: this.finished }]);
    await this.t.endRun(this.parent, ctx.stopRequested ? 'KILLED' : 'FINISHED');
    const ok = await this.t.close(this.opts.shutdownTimeoutMs ?? 60_000);
    if (!ok) {
      const uri = this.args.tracking_uri ?? this.opts.env?.MLFLOW_TRACKING_URI ?? process.env.MLFLOW_TRACKING_URI ?? 'URI';
      this.log(
        `the tracking server did not take every event in time; they are safe in ${this.t.journalPath}. ` +
          `Send them later with: clara-train mlflow sync --to ${redactUri(uri)} --journal ${this.t.journalPath}`,
      );
    }
  }
}

/** Outcomes best first (failed last), for the leaderboard artifact. */
export function leaderboard(
  outcomes: Outcome[],
): { rank: number; job: string; score: number; status: string; values: ConcreteValues; fidelity?: Fidelity; failure?: string; attempts?: number }[] {
  return [...outcomes]
    .sort((a, b) => byScoreDesc(a, b) || a.jobName.localeCompare(b.jobName))
    .map((o, i) => ({
      rank: i + 1,
      job: o.jobName,
      score: o.score,
      status: o.status,
      values: o.recommendation.values,
      ...(o.fidelity ? { fidelity: o.fidelity } : {}),
      ...(o.failure ? { failure: o.failure.kind } : {}),
      ...(o.attempts ? { attempts: o.attempts.length } : {}),
    }));
}

/**
 * The concrete search values under readable keys: each search item's args (a `name#alias`
 * arg by its alias, `@var` by the variable), enum choices resolved to the chosen values.
 * Without the search space, the Clara keys themselves.
 */
export function readableParams(values: ConcreteValues, space?: SearchSpace): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const put = (k: string, v: unknown, fallback: string) => {
    const key = k in out ? `${fallback}:${k}` : k;
    out[key] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
  };
  const items = new Map((space?.items ?? []).map((it) => [it.key, it]));
  for (const [key, v] of Object.entries(values)) {
    const it = items.get(key);
    if (!it) {
      put(key, v, key);
      continue;
    }
    let perArg: unknown[];
    if (it.type === 'enum') {
      const choice = typeof v === 'number' && it.choices ? it.choices[v] : v;
      perArg = Array.isArray(choice) ? choice : [choice];
    } else {
      perArg = it.args.map(() => v);
    }
    it.args.forEach((arg, i) => {
      let label = arg;
      if (arg === '@disabled') label = `${it.targets[i]?.componentPath ?? it.path}.disabled`;
      else if (arg.startsWith('@')) label = arg.slice(1);
      else if (arg.includes('#')) label = arg.slice(arg.indexOf('#') + 1);
      put(label.replace(/\[(\d+)\]/g, '.$1'), perArg[i] ?? perArg[0], it.path.replace(/\[(\d+)\]/g, '.$1'));
    });
  }
  return out;
}

/** The registry factory: validates args and names the JSON path on error. */
export function createMLflowHandler(args: Record<string, unknown>, ctx?: Pick<BuildContext, 'file' | 'path'>, opts: MLflowHandlerOptions = {}): MLflowHandler {
  const a = new Args(args, { file: ctx?.file, path: ctx?.path ?? 'handlers' });
  const str = (k: string): string | undefined => a.optStr(k) || undefined;
  const tags = args.tags;
  if (
    tags !== undefined &&
    (typeof tags !== 'object' ||
      tags === null ||
      Array.isArray(tags) ||
      Object.values(tags).some((v) => typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean'))
  ) {
    a.fail('tags', 'an object of string values');
  }
  return new MLflowHandler(
    {
      tracking_uri: str('tracking_uri'),
      experiment_name: str('experiment_name'),
      tags: tags ? Object.fromEntries(Object.entries(tags as Record<string, unknown>).map(([k, v]) => [k, String(v)])) : undefined,
    },
    opts,
  );
}

/** A successive-halving job's tags: its rung, the epochs it trains to, and the folder it continues. */
function rungTags(r: RungInfo): Record<string, string> {
  return { 'clara.rung': String(r.index), 'clara.rung_epochs': String(r.epochs), 'clara.promoted': String(r.promoted), 'clara.configuration': r.folder };
}
