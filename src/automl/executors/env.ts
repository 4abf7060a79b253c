// What config_automl.json's executor is handed besides its args (BuildContext.env): the
// search it runs jobs for. Built-in executors (MMARExecutor, SlurmExecutor) and BYOC ones
// (`"executor": {"path": "module.Export", "args": {...}}`) get the same fields.
import type { BuildContext } from '../../components/registry.js';
import type { SearchSpace } from '../../config/search-types.js';
import { ClaraError } from '../../util/errors.js';
import type { SearchSource } from '../search-source.js';

export interface ExecutorEnv {
  /** The source MMAR (absolute). */
  mmarRoot: string;
  /** The train config with `search` entries (absolute). */
  trainConfigFile: string;
  /** Its JSON (for defaults derived from it: the job time limit). */
  trainJson: unknown;
  space: SearchSpace;
  source: SearchSource;
  /** MMARHandler's key_mmar_content_only (default true). */
  keyMmarContentOnly: boolean;
  /** Folders never cloned into a job (MMARHandler's work_dir). */
  exclude: string[];
  /** The `--set workers` value, when given. */
  workersSpec?: string;
  log: (line: string) => void;
}

/** The env a factory of kind `executor` was given. */
export function executorEnv(ctx: BuildContext): ExecutorEnv {
  if (!ctx.env) throw new ClaraError('an executor is built by `clara-train automl` (no search to run jobs for here)', { file: ctx.file, path: ctx.path });
  return ctx.env as unknown as ExecutorEnv;
}
