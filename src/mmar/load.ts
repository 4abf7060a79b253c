// Loading an MMAR: environment.json, --set overrides, config_train.json (and config_automl.json
// when present), resolved with variables in rising precedence: config top level, environment.json, --set.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { readJsonObject } from '../util/json-file.js';
import { resolveConfig, type ResolvedConfig } from '../config/resolve.js';
import { ClaraError } from '../util/errors.js';
import { loadEnvironment, resolvePathVariables } from './environment.js';
import { parseSetOverrides } from './overrides.js';
import { DEFAULT_TRAIN_CONFIG, mmarPaths, type MmarPaths } from './paths.js';

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
  const layers = [
    { values: builtinVariables(paths), source: 'builtin' as const },
    { values: environment, source: 'environment' as const, file: paths.environment },
    { values: overrides, source: 'set' as const, file: '--set' },
  ];
  const train = resolveConfig(readJsonObject(paths.trainConfig), { file: paths.trainConfig, layers });
  let automl: ResolvedConfig | undefined;
  if (opts.automl !== false && existsSync(paths.automlConfig)) {
    automl = resolveConfig(readJsonObject(paths.automlConfig), {
      file: paths.automlConfig,
      automl: true,
      // Clara fills {trainconf} from --set; default: the train config's file name.
      layers: [{ values: { ...builtinVariables(paths), trainconf: basename(paths.trainConfig) }, source: 'builtin' }, ...layers.slice(1)],
    });
  }
  return { paths, environment, overrides, train, automl };
}
