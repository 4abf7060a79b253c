// Loading an MMAR: environment.json, --set overrides, config_train.json (and config_automl.json
// when present), resolved with variables in rising precedence: config top level, environment.json, --set.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { readJsonObject } from '../util/json-file.js';
import { resolveConfig, type ResolvedConfig } from '../config/resolve.js';
import { ClaraError } from '../util/errors.js';
import { loadEnvironment, resolvePathVariables } from './environment.js';
import { parseSetOverrides } from './overrides.js';
import { DEFAULT_TRAIN_CONFIG, mmarPaths, resolveInMmar, type MmarPaths } from './paths.js';

export interface LoadMmarOptions {
  /** Train config, relative to the MMAR root unless absolute (default config/config_train.json). */
  config?: string;
  /** `--set` items (`K=V`, several per item allowed). */
  set?: string[];
  /** Also read config/config_automl.json when present (default true). */
  automl?: boolean;
}

export interface LoadedMmar {
  paths: MmarPaths;
  /** environment.json, path variables resolved against the root. */
  environment: Record<string, unknown>;
  /** Parsed --set values (path variables resolved against the root). */
  overrides: Record<string, unknown>;
  train: ResolvedConfig;
  automl?: ResolvedConfig;
}

/** Built-in variables every config may use. */
export function builtinVariables(paths: MmarPaths): Record<string, unknown> {
  return { MMAR_ROOT: paths.root };
}

/** Loads and resolves an MMAR's configs. Errors name the file and JSON path. */
export function loadMmar(root: string, opts: LoadMmarOptions = {}): LoadedMmar {
  const paths = mmarPaths(root, opts.config ?? DEFAULT_TRAIN_CONFIG);
  if (!existsSync(paths.root)) throw new ClaraError('MMAR root does not exist', { file: paths.root });
  if (!existsSync(paths.trainConfig)) {
    throw new ClaraError(`train config not found (MMAR_ROOT is ${paths.root}; give another with --config)`, { file: paths.trainConfig });
  }
  const environment = resolvePathVariables(loadEnvironment(paths.environment), paths.root);
  const overrides = resolvePathVariables(parseSetOverrides(opts.set), paths.root);
  const train = resolveConfig(readJsonObject(paths.trainConfig), { file: paths.trainConfig, layers: variableLayers(paths, environment, overrides) });
  const automl = opts.automl !== false && existsSync(paths.automlConfig) ? resolveAutomlConfig(paths.automlConfig, paths, environment, overrides) : undefined;
  return { paths, environment, overrides, train, automl };
}

/** The variable layers of every config of an MMAR, in rising precedence: builtins, environment.json, --set. */
function variableLayers(paths: MmarPaths, environment: Record<string, unknown>, overrides: Record<string, unknown>, builtins: Record<string, unknown> = {}) {
  return [
    { values: { ...builtinVariables(paths), ...builtins }, source: 'builtin' as const },
    { values: environment, source: 'environment' as const, file: paths.environment },
    { values: overrides, source: 'set' as const, file: '--set' },
  ];
}

/** What the executor fills per job; left as written in config_automl.json. */
const JOB_PLACEHOLDERS = ['mmar', 'config'];

/**
 * A config_automl.json resolved with the train config's variable layers. Clara fills
 * {trainconf} from --set; its default is the train config's file name.
 */
function resolveAutomlConfig(
  file: string,
  paths: MmarPaths,
  environment: Record<string, unknown>,
  overrides: Record<string, unknown>,
  builtins: Record<string, unknown> = {},
): ResolvedConfig {
  return resolveConfig(readJsonObject(file), {
    file,
    automl: true,
    keep: JOB_PLACEHOLDERS,
    layers: variableLayers(paths, environment, overrides, { trainconf: basename(paths.trainConfig), ...builtins }),
  });
}

/**
 * `clara-train automl`'s config (config/config_automl.json unless `file` is given), loaded
 * the way loadMmar loads it for `config check`: the same layers, `set` as --set.
 */
export function loadAutomlConfig(
  root: string,
  opts: { file?: string; set?: Record<string, unknown>; builtins?: Record<string, unknown> } = {},
): ResolvedConfig {
  const paths = mmarPaths(root);
  const file = opts.file ? resolveInMmar(paths.root, opts.file) : paths.automlConfig;
  if (!existsSync(file)) throw new ClaraError('the AutoML config was not found', { file });
  const environment = resolvePathVariables(loadEnvironment(paths.environment), paths.root);
  const overrides = resolvePathVariables(opts.set ?? {}, paths.root);
  return resolveAutomlConfig(file, paths, environment, overrides, opts.builtins);
}
