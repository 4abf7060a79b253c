// Cloning an MMAR into a job folder: everything but automl/ (and the work dir), or with
// key_mmar_content_only just config/, custom code and a data list that lives inside the
// MMAR. Paths in environment.json that pointed into the source MMAR at content that was
// not copied are made absolute so the job still finds its data.
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { readJsonObject } from '../util/json-file.js';
import { isInside } from '../util/path-inside.js';

const CODE_EXT = /\.(m?js|cjs|py)$/;
const CODE_DIRS = new Set(['custom', 'commands', 'code', 'src']);

/** Reads config/environment.json of an MMAR, or {}. */
export function readEnvironment(mmar: string): Record<string, unknown> {
  const f = join(mmar, 'config', 'environment.json');
  if (!existsSync(f)) return {};
  try {
    return readJsonObject(f);
  } catch {
    return {}; // a broken environment.json fails the job's own train, which says where
  }
}

function resolveEnvPath(v: string, mmar: string): string | undefined {
  if (v.includes('{') && !v.includes('{MMAR_ROOT}')) return undefined;
  const p = v.replace(/\{MMAR_ROOT\}/g, mmar);
  return isAbsolute(p) ? p : resolve(mmar, p);
}

export interface CloneOptions {
  keyContentOnly: boolean;
  /** Folders (absolute) never copied: the automl folder, the work dir. */
  exclude: string[];
}

export function cloneMmar(src: string, dst: string, opts: CloneOptions): void {
  const srcAbs = resolve(src);
  const excluded = [join(srcAbs, 'automl'), ...opts.exclude.map((e) => resolve(e))];
  mkdirSync(dst, { recursive: true });
  const keep = (p: string) => !excluded.some((e) => isInside(p, e)) && !isInside(resolve(dst), p);
  if (!opts.keyContentOnly) {
    for (const name of readdirSync(srcAbs)) {
      const p = join(srcAbs, name);
      if (!keep(p)) continue;
      cpSync(p, join(dst, name), { recursive: true, filter: (s) => keep(resolve(s)) });
    }
  } else {
    for (const name of readdirSync(srcAbs)) {
      const p = join(srcAbs, name);
      if (!keep(p)) continue;
      const isDir = statSync(p).isDirectory();
      if ((isDir && (name === 'config' || CODE_DIRS.has(name))) || (!isDir && CODE_EXT.test(name))) {
        cpSync(p, join(dst, name), { recursive: true, filter: (s) => keep(resolve(s)) });
      }
    }
    // The data list, when it lives inside the MMAR.
    const env = readEnvironment(srcAbs);
    const dl = typeof env.DATASET_JSON === 'string' ? resolveEnvPath(env.DATASET_JSON, srcAbs) : undefined;
    if (dl && isInside(dl, srcAbs) && existsSync(dl) && keep(dl)) {
      const target = join(dst, relative(srcAbs, dl));
      if (!existsSync(target)) {
        mkdirSync(join(target, '..'), { recursive: true });
        cpSync(dl, target);
      }
    }
  }
  fixEnvironment(srcAbs, dst);
}

/** Rewrites environment.json paths that do not exist in the job to absolute source paths. */
function fixEnvironment(src: string, dst: string): void {
  const envFile = join(dst, 'config', 'environment.json');
  if (!existsSync(envFile)) return;
  const env = readEnvironment(dst);
  let changed = false;
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== 'string' || v === '' || k === 'MMAR_CKPT_DIR' || k === 'MMAR_EVAL_OUTPUT_PATH') continue;
    const srcPath = resolveEnvPath(v, src);
    if (!srcPath || !existsSync(srcPath)) continue;
    const jobPath = resolveEnvPath(v, resolve(dst));
    if (jobPath && existsSync(jobPath) && !partialCopy(srcPath, jobPath)) continue;
    env[k] = srcPath.split(sep).join('/');
    changed = true;
  }
  if (changed) writeJsonAtomic(envFile, env);
}

/** A folder the job has only part of (e.g. data/ with just the data list copied). */
function partialCopy(src: string, job: string): boolean {
  if (!statSync(src).isDirectory()) return false;
  const have = new Set(readdirSync(job));
  return readdirSync(src).some((n) => !have.has(n));
}
