// The AutoML engine: asks the controller for recommendations, hands them to free workers,
// runs jobs concurrently through the executor, gives outcomes back to the controller,
// keeps round bookkeeping (job names W<worker>_<round>_J<job>), journals every step and
// fires Clara's events to the handlers in order (shutdown in reverse order). A handler
// that throws is reported and the search goes on; a handler (or the caller) can stop it.
import { removeChild } from '../util/remove-child.js';
import { join } from 'node:path';
import type { SearchSpace } from '../config/search-types.js';
import type { JobEvent } from '../jobs/events.js';
import { bestOf } from '../jobs/objective.js';
import { historyForPruner, outcomeForController, prunerValue, rungScore } from './search-objective.js';
import type { Journal, JournalState } from './journal.js';
import type { Pruner } from '../components/contracts.js';
import { WorkerPool } from './scheduler.js';
import { continuableJobs } from './continue-jobs.js';
import { SysRunClock } from './sys-run-time.js';
import type { AshaScheduler, RungJob } from './asha.js';
import type { Attempt, Context, Controller, Executor, Handler, Job, Outcome, Recommendation, Worker } from './types.js';

export interface NamedHandler {
  name: string;
  handler: Handler;
}

export interface EngineOptions {
  runId: string;
  /** automl/<run_id> */
  runRoot: string;
  mmarRoot: string;
  space: SearchSpace;
  controller: Controller;
  controllerName: string;
  executor: Executor;
  handlers: NamedHandler[];
  workers: Worker[];
  journal: Journal;
  seed: number;
  /** Journal state of the run being resumed. */
  resume?: JournalState;
  pruner?: Pruner;
  /** Successive halving (ASHA/Hyperband): how many epochs each job trains and which configurations continue. */
  scheduler?: AshaScheduler;
  /** max_trials (configurations that finish with a score) and max_sys_run_time (seconds): src/automl/budget.ts. */
  budget?: { maxTrials?: number; maxSysRunTimeS?: number };
  /** Where engine messages go (default stderr). */
  log?: (line: string) => void;
  /** Extra props for the context. */
  props?: Record<string, unknown>;
}

export interface RunSummary {
  outcomes: Outcome[];
  best?: Outcome;
  stoppedBy?: string;
  handlerErrors: { handler: string; event: string; error: string }[];
}

type EventName = 'startup' | 'searchSpaceAvailable' | 'recommendationsAvailable' | 'startJob' | 'jobProgress' | 'endJob' | 'roundEnded' | 'shutdown';
const CLARA_EVENT: Record<EventName, string> = {
  startup: 'startup',
  searchSpaceAvailable: 'search_space_available',
  recommendationsAvailable: 'recommendations_available',
  startJob: 'start_job',
  jobProgress: 'job_progress',
  endJob: 'end_job',
  roundEnded: 'round_ended',
  shutdown: 'shutdown',
};

export class AutoMLEngine {
  readonly ctx: Context;
  private readonly pool: WorkerPool;
  private readonly log: (line: string) => void;
  private readonly queue: Recommendation[] = [];
  private readonly running = new Map<number, { job: Job; worker: Worker; abort: AbortController; promise: Promise<void> }>();
  private readonly outcomes: Outcome[] = [];
  private readonly handlerErrors: RunSummary['handlerErrors'] = [];
  private readonly rounds = new Map<number, { issued: number; done: number; ended: boolean }>();
  /** Cluster jobs of a resumed search to re-attach to, by recommendation id. */
  private readonly reattach = new Map<number, { job: string; schedulerId: string; worker: number }>();
  /** Interrupted jobs of a resumed search that continue from their last checkpoint, by recommendation id. */
  private continuing = new Map<number, { job: string; epoch: number }>();
  /** Successive halving: each configuration's first job (its folder and round), and promotions to rerun after a resume. */
  private readonly firstJobs = new Map<number, { name: string; round: number; rec: Recommendation }>();
  private readonly resumedPromotions: RungJob[] = [];
  private batch = 0;
  private stoppedBy: string | undefined;
  private draining: string | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly o: EngineOptions) {
    this.pool = new WorkerPool(o.workers);
    this.log = o.log ?? ((l) => process.stderr.write(l + '\n'));
    this.ctx = {
      RUN_ID: o.runId,
      RUN_ROOT: o.runRoot,
      MMAR_ROOT: o.mmarRoot,
      props: { ...o.props, seed: o.seed, numWorkers: o.workers.length, workers: o.workers, controller: o.controllerName },
    };
  }

  /** Stops the search: no new jobs, running ones are killed. */
  stop(reason: string): void {
    if (!this.stoppedBy) this.stoppedBy = reason;
    for (const r of this.running.values()) r.abort.abort('stop');
    this.wake?.();
  }

  /** Stops the search gently: running jobs finish, no new one starts (the rest stays queued for --resume). */
  drain(reason: string): void {
    this.draining ??= reason;
    this.wake?.();
  }

  /** A suspended worker takes no new job (its running job finishes); false for an unknown worker. */
  suspendWorker(id: number, suspended: boolean): boolean {
    if (!this.o.workers.some((w) => w.id === id)) return false;
    if (suspended) this.pool.suspended.add(id);
    else this.pool.suspended.delete(id);
    this.wake?.();
    return true;
  }

  private async fire(event: EventName, ctx: Context, extra?: JobEvent): Promise<void> {
    const list = event === 'shutdown' ? [...this.o.handlers].reverse() : this.o.handlers;
    for (const { name, handler } of list) {
      const fn = handler[event] as ((c: Context, e?: JobEvent) => void | Promise<void>) | undefined;
      if (typeof fn !== 'function') continue;
      try {
        await fn.call(handler, ctx, extra);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.handlerErrors.push({ handler: name, event: CLARA_EVENT[event], error: msg });
        this.log(`automl: handler ${name} failed in ${CLARA_EVENT[event]}: ${msg} (the search goes on)`);
      }
      if (ctx.stopRequested) {
        this.ctx.stopRequested = true;
        if (!this.stoppedBy) this.stop(`stop requested by ${name}`);
      }
    }
  }

  private jobCtx(job: Job, worker: Worker, outcome?: Outcome): Context {
    const c: Context = {
      ...this.ctx,
      JOB_NAME: job.name,
      JOB_MMAR_ROOT: job.mmarRoot,
      CONCRETE_SEARCH_VALUE: job.recommendation.values,
      WORKER: worker,
      stopRequested: false,
      ...(job.rung ? { JOB_RUNG: job.rung } : {}),
    };
    if (outcome) {
      c.SCORE = outcome.score;
      c.JOB_STATUS = outcome.status;
      c.OUTCOME = outcome;
    }
    return c;
  }

  private accept(recs: Recommendation[]): void {
    this.acceptSilently(recs);
    for (const r of recs) this.queue.push(r);
  }

  private async announce(recs: Recommendation[]): Promise<void> {
    if (recs.length === 0) return;
    this.o.journal.append({ type: 'recommendations', time: Date.now(), recommendations: recs });
    this.ctx.RECOMMENDATIONS = recs;
    await this.fire('recommendationsAvailable', { ...this.ctx, RECOMMENDATIONS: recs });
  }

  async run(): Promise<RunSummary> {
    const { controller, journal } = this.o;
    journal.append({
      type: 'run_start',
      time: Date.now(),
      runId: this.o.runId,
      seed: this.o.seed,
      controller: this.o.controllerName,
      workers: this.o.workers.map((w) => w.gpus),
      ...(this.o.resume ? { resumed: true } : {}),
    });
    if (this.o.resume) {
      this.ctx.props.resumedOutcomes = this.o.resume.finished;
      this.continuing = continuableJobs(this.o.resume, this.o.runRoot);
      // job name → checkpoint epoch, for handlers that continue the job's tracking run
      this.ctx.props.continuedJobs = Object.fromEntries([...this.continuing.values()].map((c) => [c.job, c.epoch]));
    }
    await this.fire('startup', this.ctx);
    this.ctx.SEARCH_SPACE = this.o.space;
    controller.setSearchSpace(this.o.space, this.ctx);
    await this.fire('searchSpaceAvailable', this.ctx);

    const initial = await controller.initialRecommendation(this.ctx);
    if (this.o.resume) await this.replay(initial);
    else {
      this.accept(initial);
      await this.announce(initial);
    }
    if (this.queue.length === 0 && this.outcomes.length === 0) this.log('automl: the controller gave no recommendation; nothing to run');
    // max_sys_run_time counts this search's earlier sessions too (src/automl/sys-run-time.ts)
    const sysS = this.o.budget?.maxSysRunTimeS;
    const before = this.o.resume?.sysRunTimeS ?? 0;
    const clock = new SysRunClock({
      journal,
      spentBeforeS: before,
      ...(sysS !== undefined ? { maxS: sysS } : {}),
      onSpent: (total) => {
        this.log(
          before >= sysS!
            ? `automl: max_sys_run_time ${sysS}s was spent by the earlier sessions of this search (${total.toFixed(1)}s): nothing more runs; --resume with a larger --set max_sys_run_time=S continues it`
            : `automl: max_sys_run_time ${sysS}s is spent${before > 0 ? ` (${before.toFixed(1)}s of it before this --resume)` : ''}: stopping (running jobs are ended; --resume with a larger max_sys_run_time continues)`,
        );
        this.stop(`max_sys_run_time ${sysS}s`);
      },
    }).start();

    while (!this.stoppedBy && !this.ctx.stopRequested && (this.queue.length > 0 || this.running.size > 0 || this.nextPromotion(true) !== undefined)) {
      while (!this.stoppedBy && !this.draining && this.pool.hasFree()) {
        // Successive halving promotes before it starts a new configuration.
        const p = this.nextPromotion();
        if (p) {
          this.startPromotion(p, this.pool.acquire()!);
          continue;
        }
        if (this.queue.length === 0 || this.trialsSpent()) break;
        const rec = this.queue.shift()!;
        this.start(rec, this.pool.acquire(this.reattach.get(rec.id)?.worker)!);
      }
      // Nothing runs: the search ends, unless it waits for a suspended worker to be resumed.
      if (this.running.size === 0 && (this.draining || this.pool.suspended.size === 0)) break;
      // With no job running (every free worker suspended) nothing else keeps the process alive.
      const keepAlive = this.running.size === 0 ? setInterval(() => {}, 60_000) : undefined;
      await new Promise<void>((res) => {
        this.wake = res;
      });
      clearInterval(keepAlive);
      this.wake = undefined;
    }
    // Let killed jobs finish their bookkeeping.
    await Promise.all([...this.running.values()].map((r) => r.promise));
    clock.stop();
    if (!this.stoppedBy && !this.draining && this.trialsSpent() && this.queue.length > 0) this.draining = `max_trials ${this.o.budget?.maxTrials}`;
    await this.endRounds(true);
    journal.append({ type: 'run_end', time: Date.now(), reason: this.stoppedBy ?? this.draining ?? 'no more recommendations' });
    controller.shutdown?.(this.ctx);
    await this.fire('shutdown', this.ctx);
    const valid = this.outcomes.filter((x) => x.status === 'FINISHED' || x.status === 'PRUNED');
    const best = bestOf(valid);
    return { outcomes: [...this.outcomes], best, stoppedBy: this.stoppedBy ?? this.draining, handlerErrors: this.handlerErrors };
  }

  /** Rebuilds controller state from the journal: replays outcomes in arrival order. */
  private async replay(initial: Recommendation[]): Promise<void> {
    const st = this.o.resume!;
    const issued = new Map<number, Recommendation>();
    const take = (recs: Recommendation[]) => {
      for (const r of recs) {
        const j = st.recommendations.get(r.id);
        if (j && JSON.stringify(j.values) !== JSON.stringify(r.values)) {
          this.log(`automl: resume: the controller recommends other values for job ${r.id} than the journal; the journal's are used`);
          r.values = j.values;
        }
        issued.set(r.id, r);
      }
      this.acceptSilently(recs);
    };
    take(initial);
    const finishedIds = new Set<number>();
    for (const out of st.finished) {
      const rec = issued.get(out.recommendation.id) ?? out.recommendation;
      const o: Outcome = { ...out, recommendation: rec };
      finishedIds.add(rec.id);
      this.outcomes.push(o);
      if (this.o.scheduler && o.rung) {
        // A rung result: the scheduler's state, as it was; only a configuration's first result goes to the controller.
        const sch = this.o.scheduler;
        if (o.rung.promoted) sch.resumePromotion(rec.id, o.rung.index);
        else {
          sch.start(rec.id);
          this.firstJobs.set(rec.id, { name: o.rung.folder, round: rec.round ?? 0, rec });
        }
        sch.report(rec.id, o.rung.index, rungScore(o));
        if (o.rung.promoted) continue;
      }
      this.markDone(rec);
      this.o.pruner?.jobEnded(historyForPruner(o));
      take(await this.o.controller.refineRecommendation(outcomeForController(o), this.ctx));
    }
    for (const it of st.interrupted) {
      const name = it.job;
      const a = st.attached.get(name);
      if (a && !finishedIds.has(a.recommendationId)) this.reattach.set(a.recommendationId, { job: name, schedulerId: a.schedulerId, worker: a.worker });
      else if (![...this.continuing.values()].some((c) => c.job === name)) removeChild(this.o.runRoot, name);
    }
    this.replayPromotions(st);
    const pending = [...issued.values()].filter((r) => !finishedIds.has(r.id)).sort((a, b) => a.id - b.id);
    const newOnes = pending.filter((r) => !st.recommendations.has(r.id));
    if (newOnes.length) this.o.journal.append({ type: 'recommendations', time: Date.now(), recommendations: newOnes });
    this.queue.push(...pending);
    // Re-attached cluster jobs go first, so that they get their slots back.
    this.queue.sort((a, b) => Number(this.reattach.has(b.id)) - Number(this.reattach.has(a.id)));
    const ra = this.reattach.size ? `, ${this.reattach.size} cluster job(s) re-attached` : '';
    const cont = [...this.continuing.values()].map((c) => `${c.job} at epoch ${c.epoch}`);
    const co = cont.length ? `, ${cont.length} continued from their last checkpoint (${cont.join(', ')})` : '';
    this.log(
      `automl: resuming ${this.o.runId}: ${finishedIds.size} finished job(s) kept, ${st.interrupted.length - this.reattach.size - cont.length} interrupted job(s) rerun${co}${ra}, ${pending.length} to run`,
    );
    await this.endRounds(false);
  }

  /** Successive halving after a resume: promotions whose job did not end run again (from their checkpoints) first. */
  private replayPromotions(st: JournalState): void {
    const sch = this.o.scheduler;
    if (!sch) return;
    for (const p of st.promotions) {
      if (p.ended || this.resumedPromotions.some((q) => q.trial === p.trial && q.rung === p.rung)) continue;
      if (sch.runningRung(p.trial) === undefined && this.firstJobs.has(p.trial)) this.resumedPromotions.push(sch.resumePromotion(p.trial, p.rung));
    }
  }

  /** The next promotion to run: one a resume left, else the scheduler's choice. */
  private nextPromotion(peek = false): (RungJob & { again?: boolean }) | undefined {
    const sch = this.o.scheduler;
    if (!sch) return undefined;
    if (peek) return this.resumedPromotions[0] ?? sch.nextPromotion(this.finalPhase(), true);
    const again = this.resumedPromotions.shift();
    if (again) return { ...again, again: true };
    return sch.nextPromotion(this.finalPhase());
  }

  /** No new configuration can come once the queue is empty (or max_trials is spent) and no first-rung job runs (only those refine the controller). */
  private finalPhase(): boolean {
    return (this.queue.length === 0 || this.trialsSpent()) && ![...this.running.values()].some((r) => !r.job.rung?.promoted);
  }

  private startPromotion(p: RungJob & { again?: boolean }, worker: Worker): void {
    const first = this.firstJobs.get(p.trial)!;
    const name = `${first.name}_R${p.rung}`;
    // a cluster promotion still queued or running when the search went down is re-attached to
    const attached = p.again ? this.o.resume?.attached.get(name) : undefined;
    // an earlier rung lowered after out of memory: this one trains (and is recorded) at that size
    const lowered = [...this.outcomes].reverse().find((o) => o.rung?.folder === first.name && o.fidelity)?.fidelity;
    if (attached)
      this.log(`automl: resume: ${name} (the promotion of ${first.name} to ${p.epochs} epochs) is re-attached to its cluster job ${attached.schedulerId}`);
    else if (p.again) this.log(`automl: resume: ${name} (the promotion of ${first.name} to ${p.epochs} epochs) continues from its checkpoint`);
    else {
      this.o.journal.append({
        type: 'promotion',
        time: Date.now(),
        trial: p.trial,
        rung: p.rung,
        epochs: p.epochs,
        job: name,
        reason: `best of rung ${p.rung - 1}`,
      });
      this.log(`automl: promoting ${first.name} to ${p.epochs} epochs (rung ${p.rung}) as ${name}`);
    }
    this.launch(
      {
        name,
        round: first.round,
        index: p.trial,
        recommendation: first.rec,
        mmarRoot: join(this.o.runRoot, first.name),
        continues: true,
        ...(attached ? { schedulerId: attached.schedulerId } : {}),
        ...(lowered ? { fidelity: lowered } : {}),
        trainArgs: this.o.scheduler!.trainArgs(p),
        rung: { index: p.rung, epochs: p.epochs, promoted: true, folder: first.name },
      },
      worker,
    );
  }

  /** max_trials: as many configurations finished with a score (or are still running their first job) as asked. */
  private trialsSpent(): boolean {
    const max = this.o.budget?.maxTrials;
    if (max === undefined) return false;
    const scored = new Set(
      this.outcomes.filter((o) => !o.rung?.promoted && (o.status === 'FINISHED' || o.status === 'PRUNED')).map((o) => o.recommendation.id),
    );
    const starting = [...this.running.values()].filter((r) => !r.job.rung?.promoted).length;
    return scored.size + starting >= max;
  }

  /** Counts recs into their rounds (a new batch number for those without one) without queueing them. */
  private acceptSilently(recs: Recommendation[]): void {
    if (recs.length === 0) return;
    this.batch++;
    for (const r of recs) {
      if (r.round === undefined) r.round = this.batch;
      const st = this.rounds.get(r.round) ?? { issued: 0, done: 0, ended: false };
      st.issued++;
      this.rounds.set(r.round, st);
    }
  }

  private markDone(r: Recommendation): void {
    const st = this.rounds.get(r.round ?? 0);
    if (st) st.done++;
  }

  /** Fires round_ended for finished rounds, in order (all of them at the end). */
  private async endRounds(final: boolean): Promise<void> {
    const maxIssued = Math.max(0, ...this.rounds.keys());
    for (const r of [...this.rounds.keys()].sort((a, b) => a - b)) {
      const st = this.rounds.get(r)!;
      if (st.ended) continue;
      if (st.done < st.issued && !final) break;
      if (!final && r >= maxIssued && (this.queue.length > 0 || this.running.size > 0)) break;
      st.ended = true;
      this.o.journal.append({ type: 'round_ended', time: Date.now(), round: r });
      this.ctx.props.round = r;
      await this.fire('roundEnded', { ...this.ctx, props: this.ctx.props });
    }
  }

  private start(rec: Recommendation, worker: Worker): void {
    const ra = this.reattach.get(rec.id);
    this.reattach.delete(rec.id);
    const co = this.continuing.get(rec.id);
    this.continuing.delete(rec.id);
    const name = ra?.job ?? co?.job ?? `W${worker.id}_${rec.round}_J${rec.id}`;
    const job: Job = {
      name,
      round: rec.round ?? 0,
      index: rec.id,
      recommendation: rec,
      mmarRoot: join(this.o.runRoot, name),
      ...(ra ? { schedulerId: ra.schedulerId } : {}),
      ...(co ? { resumeFrom: { epoch: co.epoch } } : {}),
    };
    const sch = this.o.scheduler;
    if (sch) {
      const rj = sch.start(rec.id);
      this.firstJobs.set(rec.id, { name, round: job.round, rec });
      job.trainArgs = sch.trainArgs(rj);
      job.rung = { index: rj.rung, epochs: rj.epochs, promoted: false, folder: name };
    }
    this.launch(job, worker);
  }

  private launch(job: Job, worker: Worker): void {
    const rec = job.recommendation;
    const abort = new AbortController();
    const entry = { job, worker, abort, promise: Promise.resolve() };
    this.running.set(rec.id, entry);
    entry.promise = this.runJob(job, worker, abort).finally(() => {
      this.running.delete(rec.id);
      this.pool.release(worker);
      this.wake?.();
    });
  }

  private async runJob(job: Job, worker: Worker, abort: AbortController): Promise<void> {
    this.o.journal.append({ type: 'job_start', time: Date.now(), job: job.name, recommendationId: job.recommendation.id, worker: worker.id, round: job.round });
    const submitted = (schedulerId: string) =>
      this.o.journal.append({ type: 'job_submitted', time: Date.now(), job: job.name, recommendationId: job.recommendation.id, schedulerId });
    const retrying = (attempt: Attempt) => this.o.journal.append({ type: 'job_attempt', time: Date.now(), job: job.name, attempt });
    if (job.schedulerId) submitted(job.schedulerId);
    const ctx = this.jobCtx(job, worker);
    await this.fire('startJob', ctx);
    // Progress events are delivered in order, without blocking the child.
    let chain = Promise.resolve();
    const onProgress = (e: JobEvent) => {
      chain = chain.then(() => this.fire('jobProgress', ctx, e));
      const p = this.o.pruner;
      if (p && e.type === 'validation_end' && e.metrics && e.epoch !== undefined) {
        const v = prunerValue(e, p.metric);
        if (v !== undefined && p.shouldPrune(e.epoch, v)) {
          this.log(`automl: pruning ${job.name}: its key metric at epoch ${e.epoch} is worse than the median of earlier jobs`);
          abort.abort('prune');
        }
      }
    };
    let outcome: Outcome;
    try {
      outcome = await this.o.executor.run(job, worker, onProgress, abort.signal, { submitted, retrying });
    } catch (e) {
      outcome = { recommendation: job.recommendation, jobName: job.name, score: -1000000, status: 'FAILED', error: `executor error: ${(e as Error).message}` };
    }
    await chain;
    if (job.rung) {
      outcome.rung = job.rung;
      if (outcome.status === 'KILLED') this.o.scheduler?.abandon(job.index, job.rung.index);
      else this.o.scheduler?.report(job.index, job.rung.index, rungScore(outcome));
    }
    this.o.journal.append({ type: 'job_end', time: Date.now(), job: job.name, worker: worker.id, outcome });
    this.outcomes.push(outcome);
    if (!job.rung?.promoted) this.markDone(job.recommendation);
    if (outcome.status !== 'KILLED') this.o.pruner?.jobEnded(historyForPruner(outcome));
    if (outcome.status !== 'FINISHED') this.log(`automl: job ${job.name} ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}`);
    await this.fire('endJob', this.jobCtx(job, worker, outcome));
    // A promotion's result only decides further promotions: the controller had this configuration's first one.
    if (outcome.status !== 'KILLED' && !this.stoppedBy && !job.rung?.promoted) {
      const recs = await this.o.controller.refineRecommendation(outcomeForController(outcome), this.ctx);
      this.accept(recs);
      await this.announce(recs);
    }
    await this.endRounds(false);
  }
}
