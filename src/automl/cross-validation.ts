// Cross-validated search (`"num_folds": k` at the top of config_automl.json, or
// `--set num_folds=k`; 1 = one split, as before). A job is one configuration × k folds: the
// job MMAR holds one cloned MMAR per fold (cv_fold<f>/, trained with `--set fold=f
// num_folds=k`, models in models/fold<f>), run one after the other on the job's worker.
// On a cluster (SlurmExecutor) each fold is its own Slurm job rather than one job per
// configuration: the Wilcoxon pruner decides between folds before the next is queued (a
// pruned configuration never asks for its last folds' allocations), a node failure or a
// requeue costs one fold, each fold's time limit is one training's, and a resumed search
// keeps the folds that finished (their events replayed to the handlers) and re-attaches to
// the fold that was running (the journal's last Slurm id of the job; folds run in order).
// The job's score is the mean of the folds' best key metric; the key metric of every
// validation case is kept (Outcome.perCase, journalled). After each fold but the last, the
// cases seen so far are paired with the best finished configuration's and Optuna's
// WilcoxonPruner rule drops the configuration when it is worse (p < p_threshold). At the end
// the best configuration that ran every fold becomes automl/<run>/best/: its job folder and,
// built by a `clara-train ensemble` child, the fold ensemble (ensemble.json, postprocessing,
// results.json with per-fold, ensemble and postprocessed Dice / HD95 / NSD) that
// `clara-train infer --model automl/<run>/best --input FILE -o DIR` runs.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { ClaraError } from '../util/errors.js';
import { keyMetricOf } from '../jobs/key-metric.js';
import { EVENTS_FILE_NAME, EventFileFollower } from '../jobs/event-file.js';
import { jobCkptDir } from '../jobs/paths.js';
import { readTrainStats, TRAIN_STATS_FILE } from '../jobs/train-stats.js';
import { CLARA_BIN, MMARExecutor, type MMARExecutorOptions } from './executor.js';
import { copyBest } from './handlers/mmar-handler.js';
import {
  FAILED_SCORE,
  type Attempt,
  type Context,
  type Executor,
  type ExecutorHooks,
  type Handler,
  type Job,
  type JobEvent,
  type Outcome,
  type Worker,
} from './types.js';
import { RetryingExecutor } from './retry.js';
import { betterThan } from '../jobs/objective.js';
import { wilcoxonPrune } from './wilcoxon.js';

interface CrossValidationOptions {
  numFolds: number;
  base: MMARExecutorOptions;
  /** The executor of one fold (its extra train arguments and stats folder); default a local MMARExecutor.
   *  On Slurm, each fold is its own Slurm job (SlurmExecutor.forFold). */
  foldExecutor?: (fold: { extraArgs: string[]; statsSubdir: string }) => Executor;
  /** The cluster executor the folds run on: its cancelAll (the stop path) and worker slots are this executor's. */
  cluster?: Executor;
  /** WilcoxonPruner (Optuna's defaults: p 0.1, 2 startup cases); null = never prune. */
  pruner?: { pThreshold: number; nStartup: number } | null;
  /** Build the best configuration's fold ensemble in best/ at the end (default true). */
  ensemble?: boolean;
  /** max_failures: each fold is retried on its own (an out-of-memory one at a lower fidelity, which
   *  the later folds then start at), instead of the whole configuration. */
  retry?: { maxFailures: number; log?: (line: string) => void };
  log?: (s: string) => void;
}

/** num_folds from --set (wins) or the AutoML config's top level; 1 when absent. */
export function numFoldsOf(cfgFile: string, vars: Record<string, string>): { numFolds: number; pruner: CrossValidationOptions['pruner'] } {
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  } catch {
    /* readAutoMLConfig reports it */
  }
  const v = vars.num_folds ?? raw.num_folds;
  const where = vars.num_folds !== undefined ? { path: '--set num_folds' } : { file: cfgFile, path: 'num_folds' };
  let numFolds = 1;
  if (v !== undefined) {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ClaraError(`num_folds must be an integer >= 1, got ${JSON.stringify(v)}`, where);
    numFolds = n;
  }
  let pruner: CrossValidationOptions['pruner'] = { pThreshold: 0.1, nStartup: 2 };
  const p = raw.cv_pruner;
  if (p === null || p === false) pruner = null;
  else if (p !== undefined) {
    const args = (p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>).args : undefined) as Record<string, unknown> | undefined;
    const name = (p as Record<string, unknown>)?.name;
    if (name !== 'WilcoxonPruner')
      throw new ClaraError(`expected {"name": "WilcoxonPruner", "args": {"p_threshold": 0.1, "n_startup_steps": 2}} or null, got ${JSON.stringify(p)}`, {
        file: cfgFile,
        path: 'cv_pruner',
      });
    const pt = args?.p_threshold ?? 0.1,
      ns = args?.n_startup_steps ?? 2;
    if (typeof pt !== 'number' || !(pt > 0 && pt <= 1))
      throw new ClaraError(`p_threshold must be a number in (0, 1], got ${JSON.stringify(pt)}`, { file: cfgFile, path: 'cv_pruner.args.p_threshold' });
    if (typeof ns !== 'number' || !Number.isInteger(ns) || ns < 1)
      throw new ClaraError(`n_startup_steps must be an integer >= 1, got ${JSON.stringify(ns)}`, { file: cfgFile, path: 'cv_pruner.args.n_startup_steps' });
    pruner = { pThreshold: pt, nStartup: ns };
  }
  return { numFolds, pruner };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export class CrossValidation implements Executor, Handler {
  private best: Outcome | undefined;
  private readonly outcomes: Outcome[] = [];
  private readonly log: (s: string) => void;

  /** A cluster's worker slots (one per concurrent job), else the local workers. */
  readonly workerSlots?: () => Worker[];

  constructor(private readonly o: CrossValidationOptions) {
    this.log = o.log ?? ((s) => process.stderr.write(s + '\n'));
    const slots = o.cluster?.workerSlots?.bind(o.cluster);
    if (slots) this.workerSlots = slots;
  }

  private note(o: Outcome): void {
    this.outcomes.push(o);
    if (o.status === 'FINISHED' && o.folds?.length === this.o.numFolds && betterThan(o, this.best)) this.best = o;
  }

  /** Resumed runs: the finished configurations are the bar again. */
  startup(ctx: Context): void {
    const prev = ctx.props.resumedOutcomes;
    if (Array.isArray(prev)) for (const o of prev as Outcome[]) this.note(o);
  }

  async cancelAll(): Promise<void> {
    await this.o.cluster?.cancelAll?.();
  }

  async run(job: Job, worker: Worker, onProgress: (e: JobEvent) => void, signal: AbortSignal, hooks?: ExecutorHooks): Promise<Outcome> {
    const k = this.o.numFolds;
    mkdirSync(job.mmarRoot, { recursive: true });
    const folds: NonNullable<Outcome['folds']> = [];
    const perCase: Record<string, number> = {};
    const base = { recommendation: job.recommendation, jobName: job.name };
    let lowerIsBetter = false;
    // an out-of-memory back-off of one fold: the later folds start at its lower fidelity
    let fidelity = job.fidelity;
    const attempts: Attempt[] = [];
    const done = (o: Omit<Outcome, 'recommendation' | 'jobName'>): Outcome => {
      const out: Outcome = {
        ...base,
        ...o,
        folds,
        perCase,
        ...(lowerIsBetter ? { lowerIsBetter } : {}),
        ...(fidelity ? { fidelity } : {}),
        ...(attempts.length ? { attempts } : {}),
      };
      writeJsonAtomic(join(job.mmarRoot, 'cv_outcome.json'), out);
      this.note(out);
      return out;
    };
    // A re-attached cluster job (resumed search): the folds that finished are kept; folds run in
    // order, so the journalled scheduler id belongs to the last fold whose folder exists.
    const reattachFold = job.schedulerId === undefined ? -1 : lastStartedFold(job.mmarRoot, k);
    for (let f = 0; f < k; f++) {
      const extraArgs = [...(this.o.base.extraArgs ?? []), '--set', `fold=${f}`, `num_folds=${k}`];
      const one = this.o.foldExecutor?.({ extraArgs, statsSubdir: `fold${f}` }) ?? new MMARExecutor({ ...this.o.base, extraArgs, statsSubdir: `fold${f}` });
      const retry = this.o.retry;
      const say = retry?.log ?? this.log;
      // its retry messages name the fold
      const exec = retry
        ? new RetryingExecutor(one, { maxFailures: retry.maxFailures, log: (l) => say(l.replace(`${job.name} `, `${job.name} fold ${f + 1}/${k} `)) })
        : one;
      const sub: Job = { ...job, mmarRoot: join(job.mmarRoot, `cv_fold${f}`) };
      delete sub.schedulerId;
      if (fidelity) sub.fidelity = fidelity;
      else delete sub.fidelity;
      const statsFile = join(jobCkptDir(sub.mmarRoot), `fold${f}`, TRAIN_STATS_FILE);
      const kept = f <= reattachFold ? finishedFold(statsFile) : undefined;
      let r: Pick<Outcome, 'score' | 'status' | 'error' | 'lowerIsBetter' | 'fidelity' | 'attempts'>;
      if (kept) {
        r = kept;
        this.log(`automl: ${job.name} fold ${f + 1}/${k} had finished before the resume: kept`);
        // its recorded events (a cluster job's events.jsonl) go to the handlers again: MLflow's fold run of this attempt
        for (const e of new EventFileFollower(join(sub.mmarRoot, EVENTS_FILE_NAME)).poll()) onProgress({ ...e, fold: f });
      } else {
        if (f === reattachFold) sub.schedulerId = job.schedulerId;
        const foldHooks: ExecutorHooks = {
          ...hooks,
          ...(hooks?.retrying ? { retrying: (a: Attempt) => hooks.retrying!({ ...a, fold: f }) } : {}),
        };
        r = await exec.run(sub, worker, (e) => onProgress({ ...e, fold: f }), signal, foldHooks);
      }
      if (r.lowerIsBetter) lowerIsBetter = true;
      if (r.fidelity) fidelity = r.fidelity;
      for (const a of r.attempts ?? []) attempts.push({ ...a, fold: f });
      folds.push({ fold: f, score: r.score, status: r.status });
      const stats = readTrainStats(statsFile);
      for (const [id, ms] of Object.entries(stats?.best_val_per_case ?? {})) {
        const v = ms[stats!.key_metric_name] ?? keyMetricOf(ms, this.o.base.keyMetric);
        if (v !== undefined && Number.isFinite(v)) perCase[`${id}`] = v;
      }
      if (r.status !== 'FINISHED') {
        const ok = folds.filter((x) => x.status === 'FINISHED' || x.status === 'PRUNED').map((x) => x.score);
        return done({ status: r.status, score: r.status === 'PRUNED' && ok.length ? mean(ok) : FAILED_SCORE, error: `fold ${f}: ${r.error ?? r.status}` });
      }
      this.log(`automl: ${job.name} fold ${f + 1}/${k}: ${r.score.toFixed(4)}`);
      if (f < k - 1 && this.o.pruner && this.best?.perCase) {
        const w = wilcoxonPrune(perCase, this.best.perCase, { ...this.o.pruner, lowerIsBetter });
        if (w.prune) {
          this.log(
            `automl: pruning ${job.name} after fold ${f + 1}/${k}: worse than ${this.best.jobName} on ${w.n} paired case(s) (mean difference ${w.meanDiff.toFixed(4)}, Wilcoxon p ${w.p.toPrecision(3)} < ${this.o.pruner.pThreshold})`,
          );
          return done({
            status: 'PRUNED',
            score: mean(folds.map((x) => x.score)),
            error: `pruned after fold ${f + 1}/${k} (Wilcoxon p ${w.p.toPrecision(3)})`,
          });
        }
      }
    }
    return done({ status: 'FINISHED', score: mean(folds.map((x) => x.score)) });
  }

  /** best/ ← the best complete configuration and its fold ensemble; cv_results.json ← every configuration. */
  async shutdown(ctx: Context): Promise<void> {
    writeJsonAtomic(join(ctx.RUN_ROOT, 'cv_results.json'), {
      num_folds: this.o.numFolds,
      best: this.best?.jobName ?? null,
      configurations: this.outcomes.map((o) => ({
        job: o.jobName,
        status: o.status,
        score: o.score,
        folds: o.folds ?? [],
        values: o.recommendation.values,
        cases: Object.keys(o.perCase ?? {}).length,
      })),
    });
    if (this.o.ensemble === false) return;
    const best = this.best;
    if (!best || !existsSync(join(ctx.RUN_ROOT, best.jobName))) {
      this.log('automl: no configuration finished every fold: no ensemble in best/');
      return;
    }
    copyBest(ctx.RUN_ROOT, join(ctx.RUN_ROOT, best.jobName));
    const dir = join(ctx.RUN_ROOT, 'best');
    const members = Array.from({ length: this.o.numFolds }, (_, f) => ['--member', `${join(dir, `cv_fold${f}`)}@${f}`]).flat();
    const logFile = join(ctx.RUN_ROOT, 'ensemble_log.txt');
    this.log(
      `automl: building the ${this.o.numFolds}-fold ensemble of ${best.jobName} (mean ${best.lowerIsBetter ? 'key metric (lower is better)' : 'score'} ${best.score.toFixed(4)}) in ${dir} (log: ${logFile})`,
    );
    const fd = openSync(logFile, 'a');
    const code = await new Promise<number | null>((res) => {
      const child = spawn(process.execPath, [CLARA_BIN, 'ensemble', '-o', dir, ...members, '--tta'], { stdio: ['ignore', fd, fd], env: process.env });
      child.on('error', () => res(null));
      child.on('close', (c) => res(c));
    });
    closeSync(fd);
    if (code !== 0) {
      this.log(`automl: the ensemble could not be built (exit ${code}); see ${logFile}`);
      return;
    }
    try {
      const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
        held_out?: {
          cases?: number;
          best_single_fold_dice?: number;
          ensemble?: { dice: number | null; hd95: number | null; nsd: number | null };
          ensemble_postprocessed?: { dice: number | null };
        };
      };
      const h = r.held_out;
      if (h?.cases && h.ensemble)
        this.log(
          `automl: best/ ensemble on ${h.cases} held-out case(s): Dice ${h.ensemble.dice?.toFixed(4)} (best single fold ${h.best_single_fold_dice?.toFixed(4)}, postprocessed ${h.ensemble_postprocessed?.dice?.toFixed(4)}), HD95 ${h.ensemble.hd95?.toFixed(3)}, NSD ${h.ensemble.nsd?.toFixed(4)}`,
        );
    } catch {
      /* results.json is reported by the ensemble log */
    }
    this.log(`automl: ready: clara-train infer --model ${dir} --input FILE -o DIR [--tta]`);
  }
}

/** A fold whose training finished (train_stats.json says so, with a score): its outcome, else undefined. */
function finishedFold(statsFile: string): Pick<Outcome, 'score' | 'status' | 'lowerIsBetter'> | undefined {
  const st = readTrainStats(statsFile);
  const s = st?.best_key_metric;
  if (st?.status !== 'finished' || typeof s !== 'number' || !Number.isFinite(s)) return undefined;
  return { score: s, status: 'FINISHED', ...(st.key_metric_lower_is_better ? { lowerIsBetter: true } : {}) };
}

/** The last fold of a job whose folder exists (-1: none). */
function lastStartedFold(jobRoot: string, k: number): number {
  for (let f = k - 1; f >= 0; f--) if (existsSync(join(jobRoot, `cv_fold${f}`))) return f;
  return -1;
}
