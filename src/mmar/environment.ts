// config/environment.json: MMAR-wide variables (DATA_ROOT, DATASET_JSON, MMAR_CKPT_DIR, ...).
import { existsSync } from 'node:fs';
import { ClaraError, joinPath } from '../util/errors.js';
import { readJsonObject } from '../util/json-file.js';
import { isPathVariable, resolveInMmar } from './paths.js';

/** Reads environment.json (an object of values); `{}` when the file does not exist. */
export function loadEnvironment(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const env = readJsonObject(file);
  for (const [k, v] of Object.entries(env)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      throw new ClaraError(`expected a string, number, boolean or list, found an object`, { file, path: joinPath('', k) });
    }
  }
  return env;
}

/** Copies `vars`, resolving relative string values of path variables against the MMAR root. */
export function resolvePathVariables(vars: Record<string, unknown>, root: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) {
    out[k] = isPathVariable(k) && typeof v === 'string' && v !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !v.includes('{') ? resolveInMmar(root, v) : v;
  }
  return out;
}
