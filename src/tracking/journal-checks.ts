// What a sink accepts from a tracking journal it reads back. A journal is an ordinary file
// inside an MMAR that may come from someone else, so every event is checked exactly as the
// tracker wrote it: run ids `r<n>`, keys that mlflowKey() leaves unchanged, values within
// MLflow's limits, artifact paths without empty, '.' or '..' segments, and artifact sources
// (after following symlinks) inside the run folder (the folder holding the journal).
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { isInside } from '../util/path-inside.js';
import { MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH, mlflowKey } from './keys.js';

const RUN_ID = /^r[1-9]\d{0,9}$/;
const STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function runIdProblem(v: unknown, field: string): string | null {
  if (typeof v === 'string' && RUN_ID.test(v)) return null;
  return `${field} ${JSON.stringify(v)} is not a run id this program writes (r<number>)`;
}

function keyProblem(k: string, what: string): string | null {
  if (mlflowKey(k) === k) return null;
  return `${what} key ${JSON.stringify(k.slice(0, 300))} is not a valid MLflow key (letters, digits, '_', '-', '.', ' ', ':', '/'; no empty, '.' or '..' segments; at most 250 characters)`;
}

function stringMapProblem(v: unknown, what: string, maxValue: number): string | null {
  if (!isRecord(v)) return `${what} is not an object of strings`;
  for (const [k, val] of Object.entries(v)) {
    const p = keyProblem(k, what.replace(/s$/, ''));
    if (p) return p;
    if (typeof val !== 'string') return `${what.replace(/s$/, '')} '${k}' has a non-string value`;
    if (val.length > maxValue) return `${what.replace(/s$/, '')} '${k}' is longer than ${maxValue} characters`;
  }
  return null;
}

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);

/** An artifact path (destination inside the run's artifacts): '' or '/'-separated MLflow-valid segments. */
function artifactPathProblem(p: unknown): string | null {
  if (typeof p !== 'string') return 'artifactPath is not a string';
  if (p === '') return null;
  if (mlflowKey(p) !== p || p.startsWith('/') || p.endsWith('/')) {
    return `artifact path ${JSON.stringify(p.slice(0, 300))} is not a relative path of valid names (no empty, '.' or '..' segments)`;
  }
  return null;
}

/** Where an artifact source may be: inside `runFolder`, symlinks followed. Null when fine or gone (the sink says "no longer exists"). */
function artifactSourceProblem(path: unknown, runFolder: string): string | null {
  if (typeof path !== 'string' || !isAbsolute(path)) return `artifact source ${JSON.stringify(path)} is not an absolute path`;
  if (!existsSync(path)) return null;
  let real: string, root: string;
  try {
    real = realpathSync(path);
    root = realpathSync(runFolder);
  } catch (e) {
    return `artifact source ${path} cannot be resolved (${(e as Error).message})`;
  }
  if (!isInside(real, root)) return `artifact source ${path} is outside the run folder ${runFolder}; only files of the run are sent`;
  return null;
}

/**
 * Why the sink must refuse `e`, or null when it is an event this program could have written.
 * `runFolder` confines artifact sources.
 */
export function journalEventProblem(e: unknown, runFolder: string): string | null {
  if (!isRecord(e)) return 'the event is not a JSON object';
  switch (e.type) {
    case 'journal':
      return null;
    case 'run_start': {
      const p = runIdProblem(e.run, 'run');
      if (p) return p;
      if (e.parent !== undefined) {
        const q = runIdProblem(e.parent, 'parent');
        if (q) return q;
      }
      if (typeof e.experiment !== 'string' || typeof e.name !== 'string') return 'run_start needs string experiment and name';
      if (!isInt(e.time)) return 'run_start time is not an integer';
      return stringMapProblem(e.tags, 'tags', MAX_TAG_VALUE_LENGTH);
    }
    case 'params':
      return runIdProblem(e.run, 'run') ?? stringMapProblem(e.params, 'params', MAX_PARAM_VALUE_LENGTH);
    case 'tags':
      return runIdProblem(e.run, 'run') ?? stringMapProblem(e.tags, 'tags', MAX_TAG_VALUE_LENGTH);
    case 'metrics': {
      const p = runIdProblem(e.run, 'run');
      if (p) return p;
      if (!Array.isArray(e.metrics)) return 'metrics is not a list';
      for (const m of e.metrics as unknown[]) {
        if (!isRecord(m) || typeof m.key !== 'string') return 'a metric has no string key';
        const k = keyProblem(m.key, 'metric');
        if (k) return k;
        if (!(typeof m.value === 'number' || (typeof m.value === 'string' && NON_FINITE.has(m.value))))
          return `metric '${m.key}' has a value that is not a number`;
        if (!isInt(m.step) || !isInt(m.timestamp)) return `metric '${m.key}' has a step or timestamp that is not an integer`;
      }
      return null;
    }
    case 'artifact':
      return runIdProblem(e.run, 'run') ?? artifactPathProblem(e.artifactPath) ?? artifactSourceProblem(e.path, runFolder);
    case 'run_end':
      if (typeof e.status !== 'string' || !STATUSES.has(e.status))
        return `run_end status ${JSON.stringify(e.status)} is not one of ${[...STATUSES].join(', ')}`;
      return runIdProblem(e.run, 'run') ?? (isInt(e.time) ? null : 'run_end time is not an integer');
    case 'run_delete':
    case 'run_reopen':
      return runIdProblem(e.run, 'run') ?? (isInt(e.time) ? null : `${e.type} time is not an integer`);
    default:
      return `unknown event type ${JSON.stringify(e.type)}`;
  }
}
