// An MMAR (Medical Model ARchive): MMAR_ROOT with config/, models/, eval/, automl/ (and custom/ for BYOC).
import { isAbsolute, join, resolve } from 'node:path';

export interface MmarPaths {
  root: string;
  configDir: string;
  modelsDir: string;
  evalDir: string;
  automlDir: string;
  /** BYOC modules: `path: "module.Export"` is looked up here first, then in root. */
  customDir: string;
  /** config/config_train.json unless told otherwise. */
  trainConfig: string;
  /** config/config_automl.json */
  automlConfig: string;
  /** config/environment.json */
  environment: string;
}

export const DEFAULT_TRAIN_CONFIG = 'config/config_train.json';

/** The standard paths of the MMAR at `root`; `trainConfig` is relative to root unless absolute. */
export function mmarPaths(root: string, trainConfig = DEFAULT_TRAIN_CONFIG): MmarPaths {
  const r = resolve(root);
  return {
    root: r,
    configDir: join(r, 'config'),
    modelsDir: join(r, 'models'),
    evalDir: join(r, 'eval'),
    automlDir: join(r, 'automl'),
    customDir: join(r, 'custom'),
    trainConfig: resolveInMmar(r, trainConfig),
    automlConfig: join(r, 'config', 'config_automl.json'),
    environment: join(r, 'config', 'environment.json'),
  };
}

/** `p` relative to the MMAR root unless absolute. */
export function resolveInMmar(root: string, p: string): string {
  return isAbsolute(p) ? p : resolve(root, p);
}

/** Environment variables that hold paths (resolved against MMAR_ROOT when relative). */
export function isPathVariable(name: string): boolean {
  return (
    ['DATA_ROOT', 'DATASET_JSON', 'MMAR_CKPT_DIR', 'MMAR_CKPT', 'MMAR_EVAL_OUTPUT_PATH', 'PRETRAIN_WEIGHTS_FILE'].includes(name) ||
    /(_DIR|_ROOT|_PATH|_FILE|_JSON)$/.test(name)
  );
}
