// Decathlon-style datalists (`dataset.json`), as MONAI's load_decathlon_datalist reads them:
// `{ "training": [{"image": "...", "label": "..."}], "validation": [...], "test": ["..."] }`.
// Paths are resolved against a base dir (Clara's data_file_base_dir, usually {DATA_ROOT};
// default: the datalist's own folder) and returned absolute.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ClaraError, closestNames, joinPath } from '../util/errors.js';
import { parseJsonText } from '../util/json-file.js';

export interface DatalistItem {
  image: string | string[];
  label?: string | string[];
  /** Other keys are kept as they are in the file. */
  [key: string]: unknown;
}

export interface DatalistOptions {
  /** Which list: Clara's data_list_key (default 'training'). */
  key?: string;
  /** Base dir for relative paths (default: the datalist's folder). Relative base dirs resolve against the cwd. */
  baseDir?: string;
  /** Resolve `label` paths too (default true; MONAI's is_segmentation). */
  isSegmentation?: boolean;
  /** Fail when a resolved image/label file does not exist (default false). */
  checkExists?: boolean;
}

const PATH_KEYS = ['image', 'label'] as const;

/** Parses a datalist file's JSON with an error naming the file. */
export function readDatalistJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new ClaraError(code === 'ENOENT' ? 'datalist file not found' : `cannot read datalist: ${(e as Error).message}`, { file });
  }
  const json = parseJsonText(text, file);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ClaraError('a datalist must be a JSON object with lists such as "training", "validation", "test"', { file });
  }
  return json as Record<string, unknown>;
}

/** The keys of a datalist that hold lists (training, validation, test, ...). */
export function datalistKeys(file: string): string[] {
  const json = readDatalistJson(file);
  return Object.keys(json).filter((k) => Array.isArray(json[k]));
}

/** Loads one list of a Decathlon datalist with absolute image/label paths. */
export function loadDatalist(file: string, opts: DatalistOptions = {}): DatalistItem[] {
  const key = opts.key ?? 'training';
  const json = readDatalistJson(file);
  const list = json[key];
  if (list === undefined) {
    const lists = Object.keys(json).filter((k) => Array.isArray(json[k]));
    const near = closestNames(key, lists);
    throw new ClaraError(
      `data_list_key "${key}" is not in the datalist; it has ${lists.length ? lists.map((k) => `"${k}"`).join(', ') : 'no lists'}` +
        (near.length && lists.length ? ` (closest: ${near.join(', ')})` : ''),
      { file, path: key },
    );
  }
  if (!Array.isArray(list)) throw new ClaraError(`expected a list, got ${typeOf(list)}`, { file, path: key });
  const baseDir = resolve(opts.baseDir ?? dirname(resolve(file)));
  const isSeg = opts.isSegmentation ?? true;
  return list.map((entry: unknown, i: number) => {
    const at = joinPath(key, i);
    // test lists are plain strings in the Decathlon format
    const item: Record<string, unknown> = typeof entry === 'string' ? { image: entry } : checkObject(entry, file, at);
    if (!('image' in item)) {
      throw new ClaraError(`missing "image" (keys: ${Object.keys(item).join(', ') || 'none'})`, { file, path: at });
    }
    const out: DatalistItem = { ...item } as DatalistItem;
    for (const k of PATH_KEYS) {
      if (!(k in item) || (k === 'label' && !isSeg)) continue;
      out[k] = resolvePaths(item[k], baseDir, file, typeof entry === 'string' ? at : joinPath(at, k), opts.checkExists ?? false);
    }
    return out;
  });
}

function checkObject(entry: unknown, file: string, at: string): Record<string, unknown> {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new ClaraError(`expected {"image": ..., "label": ...} or a path string, got ${typeOf(entry)}`, { file, path: at });
  }
  return entry as Record<string, unknown>;
}

function resolvePaths(v: unknown, baseDir: string, file: string, at: string, checkExists: boolean): string | string[] {
  const one = (p: unknown, where: string): string => {
    if (typeof p !== 'string' || p.length === 0) {
      throw new ClaraError(`expected a file path (non-empty string), got ${typeOf(p)}`, { file, path: where });
    }
    const abs = isAbsolute(p) ? resolve(p) : resolve(baseDir, p);
    if (checkExists && !existsSync(abs)) throw new ClaraError(`file not found: ${abs}`, { file, path: where });
    return abs;
  };
  if (Array.isArray(v)) {
    if (v.length === 0) throw new ClaraError('expected at least one path, got an empty list', { file, path: at });
    return v.map((p, j) => one(p, joinPath(at, j)));
  }
  return one(v, at);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Clara's dataset arguments, as they appear in config_train.json (after {VAR} substitution). */
export interface ClaraDatasetArgs {
  data_list_file_path?: unknown;
  data_file_base_dir?: unknown;
  data_list_key?: unknown;
}

/**
 * Loads the datalist a Clara dataset component names. Relative `data_list_file_path` and
 * `data_file_base_dir` resolve against `mmarRoot` (default: the cwd); without a base dir, the
 * datalist's folder is the base. `place` names the config file and JSON path for errors.
 */
export function loadClaraDatalist(
  args: ClaraDatasetArgs,
  opts: { mmarRoot?: string; place?: { file?: string; path?: string }; checkExists?: boolean } = {},
): DatalistItem[] {
  const root = resolve(opts.mmarRoot ?? '.');
  const at = (k: string) => ({ file: opts.place?.file, path: joinPath(opts.place?.path ?? '', k) });
  const { data_list_file_path: f, data_file_base_dir: b, data_list_key: k } = args;
  if (typeof f !== 'string' || f === '') {
    throw new ClaraError(`data_list_file_path must be a path to a datalist JSON, got ${typeOf(f)}`, at('data_list_file_path'));
  }
  if (b !== undefined && (typeof b !== 'string' || b === '')) {
    throw new ClaraError(`data_file_base_dir must be a folder path, got ${typeOf(b)}`, at('data_file_base_dir'));
  }
  if (k !== undefined && typeof k !== 'string') {
    throw new ClaraError(`data_list_key must be a string such as "training", got ${typeOf(k)}`, at('data_list_key'));
  }
  const file = resolve(root, f);
  return loadDatalist(file, {
    key: k as string | undefined,
    baseDir: typeof b === 'string' ? resolve(root, b) : undefined,
    checkExists: opts.checkExists,
  });
}
