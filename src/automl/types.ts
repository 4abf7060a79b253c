// The AutoML seams (Clara's contracts): controller, executor, handler, context.
import type { ConcreteValues, SearchSpace } from '../config/search-types.js';
import type { JobEvent } from '../jobs/events.js';

export type { JobEvent } from '../jobs/events.js';

/** The score a job that produced none gets (Clara's). */
export const FAILED_SCORE = -1000000;

export interface Recommendation {
  /** Sequence number within the run (0, 1, ...). */
  id: number;
  values: ConcreteValues;
  /** The controller's round this recommendation belongs to (1, 2, ...); the engine numbers batches when absent. */
  round?: number;
  /** Controller-private data it wants back with the outcome (JSON-serialisable, journalled). */
  controllerData?: unknown;
}

export type JobStatus = 'FINISHED' | 'FAILED' | 'TIMEOUT' | 'KILLED' | 'PRUNED';

/** Why an attempt of a job failed (src/automl/failure-kind.ts). */
type FailureKind = 'exit_code' | 'signal' | 'timeout' | 'out_of_memory' | 'non_finite_loss' | 'error';

export interface Failure {
  kind: FailureKind;
  exitCode?: number;
  signal?: string;
  /** What showed the kind (a log line, the cgroup's oom_kill count, the memory limit). */
  evidence?: string;
}

/** A job's training size when an out-of-memory back-off changed it (src/automl/fidelity.ts). */
export interface Fidelity {
  batchSize?: number;
  patch?: number[];
}

/** One try of a job that was retried (src/automl/retry.ts). */
export interface Attempt {
  attempt: number;
  status: JobStatus;
  failure?: Failure;
  error?: string;
  fidelity?: Fidelity;
  /** The checkpoint epoch this attempt continued from (0: from scratch). */
  fromEpoch: number;
  /** A cross-validated job: the fold this attempt ran (each fold is retried on its own). */
  fold?: number;
}

export interface Outcome {
  recommendation: Recommendation;
  jobName: string;
  /** The key metric's own value (Dice, HD95 ...); compared through searchScore (src/jobs/objective.ts). */
  score: number;
  status: JobStatus;
  /** The key metric is a distance (HD95): lower is better; controllers see the score negated. */
  lowerIsBetter?: boolean;
  /** Key-metric history (epoch → value) when known. */
  history?: { epoch: number; value: number }[];
  error?: string;
  /** Cross-validated search (num_folds > 1): each fold's score and status, in fold order. */
  folds?: { fold: number; score: number; status: JobStatus }[];
  /** Cross-validated search: the key metric per validation case over the folds run (case id → value). */
  perCase?: Record<string, number>;
  /** A failed attempt's kind (exit code, signal, timeout, out of memory, non-finite loss). */
  failure?: Failure;
  /** Every try when the job was retried (max_failures), the last one included. */
  attempts?: Attempt[];
  /** The training size the outcome was reached at when an out-of-memory back-off lowered it. */
  fidelity?: Fidelity;
  /** The checkpoint epoch the job continued from (a resumed or retried job). */
  resumedFromEpoch?: number;
  /** Under a successive-halving scheduler: the rung this job trained to (src/automl/asha.ts). */
  rung?: RungInfo;
}

/** A job's rung: its index, the epochs it trained to, and whether it continued an earlier rung's checkpoint. */
export interface RungInfo {
  index: number;
  epochs: number;
  promoted: boolean;
  /** The job folder under the run (the name of the configuration's first job). */
  folder: string;
}

export interface Worker {
  /** 0, 1, ... in the order given by `workers=`. */
  id: number;
  /** GPU ids for CUDA_VISIBLE_DEVICES, or [] for a CPU slot. */
  gpus: string[];
}

export interface Job {
  name: string; // W<worker>_<round>_J<job>
  round: number;
  index: number;
  recommendation: Recommendation;
  mmarRoot: string; // the cloned job MMAR
  /** A cluster job (Slurm id) of a resumed search to re-attach to instead of starting it again. */
  schedulerId?: string;
  /** Continue the job's folder from its last checkpoint (this epoch) instead of starting over. */
  resumeFrom?: { epoch: number };
  /** Train at this size instead of the config's (an out-of-memory back-off). */
  fidelity?: Fidelity;
  /** Arguments for `clara-train train` after the executor's own (a rung's --epochs / --stop-after-epoch / --resume). */
  trainArgs?: string[];
  /** The job MMAR exists already (an earlier rung's): train in it again instead of cloning a fresh one. */
  continues?: boolean;
  rung?: RungInfo;
}

/** Clara's context keys, plus what handlers need. */
export interface Context {
  RUN_ID: string;
  RUN_ROOT: string;
  MMAR_ROOT: string;
  SEARCH_SPACE?: SearchSpace;
  RECOMMENDATIONS?: Recommendation[];
  JOB_NAME?: string;
  JOB_MMAR_ROOT?: string;
  CONCRETE_SEARCH_VALUE?: ConcreteValues;
  SCORE?: number;
  JOB_STATUS?: JobStatus;
  OUTCOME?: Outcome;
  WORKER?: Worker;
  /** Under a successive-halving scheduler: the job's rung. */
  JOB_RUNG?: RungInfo;
  /** Free-form data handlers may share (controller name and args, workers ...). */
  props: Record<string, unknown>;
  /** A handler may ask the engine to stop the search. */
  stopRequested?: boolean;
}

export interface Controller {
  setSearchSpace(space: SearchSpace, ctx: Context): void;
  /** Empty → the run stops. */
  initialRecommendation(ctx: Context): Recommendation[] | Promise<Recommendation[]>;
  refineRecommendation(outcome: Outcome, ctx: Context): Recommendation[] | Promise<Recommendation[]>;
  shutdown?(ctx: Context): void;
}

/** What a cluster executor tells the engine while it runs a job. */
export interface ExecutorHooks {
  /** The job was submitted under this scheduler id (journalled, for resume). */
  submitted?(schedulerId: string): void;
  /** An attempt failed and the job is tried again (journalled). */
  retrying?(failed: Attempt): void;
}

export interface Executor {
  run(job: Job, worker: Worker, onProgress: (e: JobEvent) => void, signal: AbortSignal, hooks?: ExecutorHooks): Promise<Outcome>;
  /** Cancels every job still running on a cluster (a stop command's path); local jobs stop through their signals. */
  cancelAll?(): Promise<void>;
  /** The worker slots when the executor places jobs itself (a cluster: one per concurrent job); absent: the local workers of `--set workers`. */
  workerSlots?(): Worker[];
}

export interface Handler {
  startup?(ctx: Context): void | Promise<void>;
  searchSpaceAvailable?(ctx: Context): void | Promise<void>;
  recommendationsAvailable?(ctx: Context): void | Promise<void>;
  startJob?(ctx: Context): void | Promise<void>;
  jobProgress?(ctx: Context, e: JobEvent): void | Promise<void>;
  endJob?(ctx: Context): void | Promise<void>;
  roundEnded?(ctx: Context): void | Promise<void>;
  shutdown?(ctx: Context): void | Promise<void>;
}
