// Which layout a config file has, and loading Clara's standalone evaluation configs through
// the MMAR loader. Layouts:
//   'train'   a train config (train/validate sections): validate/infer use its validate section;
//   'clara4'  4.x config_validation.json / config_inference.json: a flat top level with an
//             evaluator (or pre_transforms + model + inferer) — run-standalone.ts;
//   'clara3'  3.x TF-era config_validation.json: flat pre_transforms, model_loader, inferer,
//             post_transforms, label_transforms, val_metrics, writers — clara3-validation.ts.
// Variables the standalone configs use that a clara-train MMAR may not define get defaults
// (below --set and environment.json): MMAR_TORCHSCRIPT = <MMAR_CKPT_DIR>/export (what
// `clara-train export` writes), MMAR_CKPT = <MMAR_CKPT_DIR>/best.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isPlainObject, readJsonObject } from '../util/json-file.js';
import { loadEnvironment } from '../mmar/environment.js';
import { mmarPaths } from '../mmar/paths.js';
import { DEFAULT_CKPT_DIR } from '../jobs/paths.js';
import type { LoadedMmar } from '../mmar/load.js';
import type { EvalRunOptions } from './run-eval.js';
import { loadMmarWithOverrides } from './load-with-overrides.js';

type ConfigLayout = 'train' | 'clara4' | 'clara3';

/** The options of `validate` / `infer` (--model overrides the config's model slot; --output sets MMAR_EVAL_OUTPUT_PATH). */
export type StandaloneOptions = EvalRunOptions;

/** The layout of a parsed config. */
export function configLayout(json: Record<string, unknown>): ConfigLayout {
  if (isPlainObject(json.train) || isPlainObject(json.validate)) return 'train';
  if (['model_loader', 'val_metrics', 'writers', 'label_transforms'].some((k) => k in json)) return 'clara3';
  if ('evaluator' in json || ('pre_transforms' in json && ('model' in json || 'inferer' in json))) return 'clara4';
  return 'train';
}

/** The layout of the config file `config` (relative to the MMAR root) — 'train' when it does not exist (the loader reports that). */
export function configFileLayout(mmarRoot: string, config?: string): ConfigLayout {
  if (!config) return 'train';
  const file = resolve(mmarRoot, config);
  if (!existsSync(file)) return 'train';
  return configLayout(readJsonObject(file));
}

function setsVariable(items: string[], name: string): boolean {
  return items.some((it) => new RegExp(`(^|\\s)${name}=`).test(it));
}

/** The loaded standalone config and the run's log. */
export function openStandalone(o: StandaloneOptions): { log: (s: string) => void; m: LoadedMmar; json: Record<string, unknown>; file: string; root: string } {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const m = loadStandaloneMmar(o);
  return { log, m, json: m.train.json, file: m.train.file, root: m.paths.root };
}

/** Loads the MMAR with a standalone config as its config, with the default variables and --output/--set applied. */
export function loadStandaloneMmar(o: StandaloneOptions): LoadedMmar {
  const root = resolve(o.mmarRoot);
  const paths = mmarPaths(root, o.config);
  const env = loadEnvironment(paths.environment);
  const user = [...(o.set ?? [])];
  if (o.output) user.push(`MMAR_EVAL_OUTPUT_PATH=${resolve(o.output)}`);
  const ckptDir = typeof env.MMAR_CKPT_DIR === 'string' && env.MMAR_CKPT_DIR ? env.MMAR_CKPT_DIR : DEFAULT_CKPT_DIR;
  const defaults: string[] = [];
  const dflt = (name: string, value: string) => {
    if (!(name in env) && !setsVariable(user, name)) defaults.push(`${name}=${value}`);
  };
  dflt('MMAR_TORCHSCRIPT', `${ckptDir}/export`);
  dflt('MMAR_CKPT', `${ckptDir}/best`);
  dflt('MMAR_CKPT_DIR', ckptDir);
  dflt('MMAR_EVAL_OUTPUT_PATH', 'eval');
  return loadMmarWithOverrides(root, { config: o.config, set: [...defaults, ...user], automl: false });
}
