// Everything the report shows about one AutoML run, read from its folder
// (automl/<run_id>/): the engine's journal (jobs, workers, times, outcomes), each job's
// MMAR_CKPT_DIR/train_stats.json (learning curves, per-case metrics, backend, AMP), its
// system_metrics.jsonl, and — for jobs whose folder was pruned by num_mmars_to_keep —
// the tracking journal's per-epoch metrics, then the outcome's key-metric history.
import { existsSync } from 'node:fs';
import { readJsonFile } from '../util/json-file.js';
import { join } from 'node:path';
import { Journal, type JournalEntry } from '../automl/journal.js';
import type { Outcome } from '../automl/types.js';
import { configSearchSource } from '../automl/search-source.js';
import type { SearchItem, SearchSpace } from '../config/search-types.js';
import { TRAIN_STATS_FILE, readTrainStats, type TrainStats } from '../jobs/train-stats.js';
import { jobCkptDir } from '../jobs/paths.js';
import { readJournal } from '../tracking/journal.js';
import { decodeDouble } from '../tracking/mlflow/values.js';
import { ClaraError } from '../util/errors.js';
import { readRunInfo, type RunInfo } from './run-info.js';
import { readSystemSamples, type SystemSample } from '../jobs/system-metrics.js';
import { bestOf } from '../jobs/objective.js';

export interface Param {
  key: string;
  label: string;
  kind: 'num' | 'cat';
  log?: boolean;
  /** cat: the label of each choice index. */
  categories?: string[];
}

interface Curve {
  x: number;
  y: number;
}

export interface JobData {
  name: string;
  recommendationId: number;
  round: number;
  worker: number;
  start?: number;
  end?: number;
  status: Outcome['status'] | 'RUNNING';
  score?: number;
  /** The score is a distance (HD95): lower is better. */
  lowerIsBetter?: boolean;
  error?: string;
  /** Param key → number (float, or an enum's choice index). */
  values: Record<string, number>;
  /** Per epoch. */
  loss: Curve[];
  val: Curve[];
  lr: Curve[];
  epochTime: Curve[];
  keyMetric?: string;
  epochsCompleted?: number;
  totalEpochs?: number;
  backend?: string;
  amp?: string;
  perCase?: Record<string, Record<string, number>>;
  system: SystemSample[];
  /** Where the curves came from. */
  source: 'train_stats.json' | 'tracking.jsonl' | 'journal' | 'none';
  folder?: string;
}

export interface RunData {
  runId: string;
  runRoot: string;
  mmarRoot: string;
  seed?: number;
  controller?: string;
  workers: string[][];
  start?: number;
  end?: number;
  endReason?: string;
  ended: boolean;
  params: Param[];
  jobs: JobData[];
  best?: JobData;
  info?: RunInfo;
  resumes: number;
}

const VALID = new Set(['FINISHED', 'PRUNED']);

function readJson<T>(file: string): T | undefined {
  try {
    return readJsonFile(file) as T;
  } catch {
    return undefined;
  }
}

const short = (x: unknown): string =>
  typeof x === 'number' && !Number.isInteger(x) ? String(Number(x.toPrecision(4))) : typeof x === 'string' ? x : JSON.stringify(x);

/** The search space: automl/<run_id>/search_space.json when written by the run, else the MMAR's train config. */
function readSpace(runRoot: string, mmarRoot: string): SearchSpace | undefined {
  const saved = readJson<SearchSpace>(join(runRoot, 'search_space.json'));
  if (saved && Array.isArray(saved.items)) return saved;
  const file = join(mmarRoot, 'config', 'config_train.json');
  const cfg = readJson<unknown>(file);
  if (!cfg) return undefined;
  try {
    return configSearchSource.parse(cfg, file);
  } catch {
    return undefined;
  }
}

/** A readable name per search item: its args without aliases or '@'. */
function paramOf(it: SearchItem): Param {
  const label = it.args.map((a) => (a.startsWith('@') ? a.slice(1) : a.includes('#') ? a.slice(a.indexOf('#') + 1) : a)).join(',');
  if (it.type === 'enum' && it.choices) {
    return { key: it.key, label, kind: 'cat', categories: it.choices.map((c) => (Array.isArray(c) ? c.map(short).join(',') : short(c))) };
  }
  return { key: it.key, label, kind: 'num', ...(it.log ? { log: true } : {}) };
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** Per-epoch curves of a job from the tracking journal (runs named after the job, the last attempt). */
function trackingCurves(runRoot: string): Map<string, Record<string, Curve[]>> {
  const out = new Map<string, Record<string, Curve[]>>();
  const file = join(runRoot, 'tracking.jsonl');
  if (!existsSync(file)) return out;
  let entries;
  try {
    entries = readJournal(file).entries;
  } catch {
    return out;
  }
  const names = new Map<string, string>();
  for (const { event: e } of entries) {
    if (e.type === 'run_start') {
      names.set(e.run, e.name);
      out.set(e.name, {});
    } else if (e.type === 'metrics') {
      const name = names.get(e.run);
      if (!name) continue;
      const m = out.get(name)!;
      for (const p of e.metrics) (m[p.key] ??= []).push({ x: p.step, y: decodeDouble(p.value) });
    }
  }
  return out;
}

function fromStats(j: JobData, s: TrainStats): void {
  j.source = 'train_stats.json';
  j.loss = (s.train_loss ?? []).map((y, i) => ({ x: i + 1, y }));
  j.lr = (s.lr ?? []).map((y, i) => ({ x: i + 1, y }));
  j.epochTime = (s.epoch_time ?? []).map((y, i) => ({ x: i + 1, y }));
  j.keyMetric = s.key_metric_name;
  j.val = (s.val_metrics ?? [])
    .map((v) => ({ x: v.epoch, y: v.metrics[s.key_metric_name] ?? Object.values(v.metrics)[0] }))
    .filter((c) => typeof c.y === 'number');
  j.epochsCompleted = s.epochs_completed;
  j.totalEpochs = s.total_epochs;
  j.backend = s.backend;
  j.amp = s.amp;
  if (s.val_per_case) j.perCase = s.val_per_case;
}

/** Reads a run folder; throws a ClaraError naming what is missing. */
export function loadRunData(mmarRoot: string, runId: string): RunData {
  const runRoot = join(mmarRoot, 'automl', runId);
  const jf = join(runRoot, 'journal.jsonl');
  if (!existsSync(jf)) throw new ClaraError(`no AutoML run '${runId}' here: ${jf} does not exist`, { path: '--run-id' });
  let entries: JournalEntry[];
  try {
    entries = Journal.read(jf);
  } catch (e) {
    throw new ClaraError((e as Error).message, { file: jf });
  }
  const space = readSpace(runRoot, mmarRoot);
  const params = (space?.items ?? []).map(paramOf);
  const known = new Set(params.map((p) => p.key));
  const data: RunData = { runId, runRoot, mmarRoot, workers: [], ended: false, params, jobs: [], resumes: 0 };
  const jobs = new Map<string, JobData>();
  const recs = new Map<number, Record<string, unknown>>();
  for (const e of entries) {
    if (e.type === 'run_start') {
      if (data.start === undefined) {
        data.start = e.time;
        data.seed = e.seed;
        data.controller = e.controller;
        data.workers = e.workers;
      } else data.resumes++;
      data.ended = false;
    } else if (e.type === 'recommendations') {
      for (const r of e.recommendations) recs.set(r.id, r.values);
    } else if (e.type === 'job_start') {
      // A rerun (resume) replaces the interrupted attempt.
      jobs.set(e.job, {
        name: e.job,
        recommendationId: e.recommendationId,
        round: e.round,
        worker: e.worker,
        start: e.time,
        status: 'RUNNING',
        values: {},
        loss: [],
        val: [],
        lr: [],
        epochTime: [],
        system: [],
        source: 'none',
      });
    } else if (e.type === 'job_end') {
      const j = jobs.get(e.job);
      if (!j) continue;
      j.end = e.time;
      j.status = e.outcome.status;
      j.score = e.outcome.score;
      if (e.outcome.lowerIsBetter) j.lowerIsBetter = true;
      if (e.outcome.error) j.error = e.outcome.error;
      if (e.outcome.history?.length) {
        j.val = e.outcome.history.map((h) => ({ x: h.epoch, y: h.value }));
        j.source = 'journal';
      }
    } else if (e.type === 'run_end') {
      data.end = e.time;
      data.endReason = e.reason;
      data.ended = true;
    }
  }
  // A job killed by a stop and rerun after --resume: only the last attempt counts (by recommendation).
  const lastByRec = new Map<number, JobData>();
  for (const j of jobs.values()) {
    const prev = lastByRec.get(j.recommendationId);
    if (!prev || (j.start ?? 0) >= (prev.start ?? 0)) lastByRec.set(j.recommendationId, j);
  }
  const tracking = trackingCurves(runRoot);
  for (const j of [...lastByRec.values()].sort((a, b) => (a.start ?? 0) - (b.start ?? 0))) {
    const values = recs.get(j.recommendationId) ?? {};
    for (const [k, v] of Object.entries(values)) {
      const n = toNumber(v);
      if (n !== undefined) j.values[k] = n;
      if (!known.has(k)) {
        known.add(k);
        params.push({ key: k, label: k.split(':').pop() ?? k, kind: 'num' });
      }
    }
    const folder = join(runRoot, j.name);
    const ckpt = existsSync(folder) ? jobCkptDir(folder) : undefined;
    const stats = ckpt ? readTrainStats(join(ckpt, TRAIN_STATS_FILE)) : undefined;
    if (existsSync(folder)) j.folder = folder;
    if (stats) fromStats(j, stats);
    else {
      const t = tracking.get(j.name);
      if (t && (t.train_loss?.length || t.val_mean_dice?.length)) {
        j.source = 'tracking.jsonl';
        j.loss = t.train_loss ?? [];
        j.lr = t.lr ?? [];
        j.epochTime = t.epoch_time ?? [];
        const valKey = Object.keys(t).find((k) => k.startsWith('val_'));
        if (valKey) {
          j.val = t[valKey];
          j.keyMetric = valKey;
        }
      }
    }
    j.system = ckpt ? readSystemSamples(ckpt) : [];
    if (j.system.length === 0) {
      const t = tracking.get(j.name);
      if (t) j.system = systemFromTracking(t);
    }
    data.jobs.push(j);
  }
  // The best job's folder may only survive as automl/<run_id>/best/.
  const valid = data.jobs.filter((j) => VALID.has(j.status) && typeof j.score === 'number' && Number.isFinite(j.score));
  data.best = bestOf(valid);
  if (data.best && !data.best.folder && existsSync(join(runRoot, 'best'))) {
    data.best.folder = join(runRoot, 'best');
    const bestCkpt = jobCkptDir(join(runRoot, 'best'));
    const s = readTrainStats(join(bestCkpt, TRAIN_STATS_FILE));
    if (s && data.best.source !== 'train_stats.json') fromStats(data.best, s);
    if (s?.val_per_case) data.best.perCase = s.val_per_case;
    if (data.best.system.length === 0) data.best.system = readSystemSamples(bestCkpt);
  }
  data.info = readRunInfo(runRoot);
  return data;
}

/** System samples from a job's tracking metrics (MLflow's names). */
function systemFromTracking(t: Record<string, Curve[]>): SystemSample[] {
  const cpu = t['system/cpu_utilization_percentage'];
  if (!cpu?.length) return [];
  const at = (k: string, i: number) => t[k]?.[i]?.y;
  return cpu.map((c, i) => ({
    t: c.x * 10,
    cpu: c.y,
    ...(at('system/process_rss_megabytes', i) !== undefined ? { rssMb: at('system/process_rss_megabytes', i) } : {}),
    ...(at('system/system_memory_usage_megabytes', i) !== undefined ? { memMb: at('system/system_memory_usage_megabytes', i) } : {}),
    ...(at('system/gpu_0_utilization_percentage', i) !== undefined ? { gpuUtil: at('system/gpu_0_utilization_percentage', i) } : {}),
    ...(at('system/gpu_0_memory_usage_megabytes', i) !== undefined ? { gpuMemMb: at('system/gpu_0_memory_usage_megabytes', i) } : {}),
  }));
}
