// One AutoML run from an MMAR: reads config/config_automl.json ({trainconf} and other
// {VARS} filled from --set), builds controller, handlers (built-in names or BYOC paths),
// executor and pruner, and runs the engine; resumes from the journal when asked.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import { checkRunId } from './run-id.js';
import { unusedSearchVariables, unusedSearchWarning } from '../config/unused-search.js';
import { ClaraError, joinPath } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { loadAutomlConfig } from '../mmar/load.js';
import { buildAutomlComponent, type ComponentConf } from './build-component.js';
import { asController, asHandler } from './byoc.js';
import { AutoMLEngine, type NamedHandler, type RunSummary } from './engine.js';
import { MMARExecutor } from './executor.js';
import { CrossValidation, numFoldsOf } from './cross-validation.js';
import { slurmWorkerCount } from './executors/slurm-config.js';
import { SlurmExecutor } from './executors/slurm.js';
import type { ExecutorEnv } from './executors/env.js';
import { MMARHandler } from './handlers/mmar-handler.js';
import { Journal, journalState } from './journal.js';
import { checkContract, CONTRACTS, type Pruner } from '../components/contracts.js';
import { parseWorkers } from './scheduler.js';
import { checkLocalGpus, localGpuCount } from './local-gpus.js';
import { maxFailuresOf, RetryingExecutor } from './retry.js';
import { configSearchSource, type SearchSource } from './search-source.js';
import type { Controller, Executor, Handler } from './types.js';
import { checkSchedulerFits, schedulerFromConfig } from './scheduler-config.js';
import { readBudget, withJobRunTime } from './budget.js';
import { parseInitialRecommendations, SeededController } from './initial-recommendations.js';
import './register.js';

export interface AutoMLOptions {
  mmarRoot: string;
  runId: string;
  /** Clara's workers spec; default 'cpu'. */
  workers?: string;
  /** config_automl.json (relative to the MMAR); default config/config_automl.json. */
  config?: string;
  /** --set variables (trainconf, ...). */
  vars?: Record<string, string>;
  resume?: boolean;
  seed?: number;
  source?: SearchSource;
  log?: (line: string) => void;
  /** Called with the engine once built (for signals). */
  onEngine?: (e: AutoMLEngine) => void;
  /** Handlers after the config's (the CLI's status and report handlers). */
  extraHandlers?: NamedHandler[];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function component(x: unknown, file: string, path: string): ComponentConf {
  if (!isObj(x)) throw new ClaraError('expected a component {"name" | "path", "args"}', { file, path });
  if (typeof x.name !== 'string' && typeof x.path !== 'string') throw new ClaraError('a component needs "name" or "path"', { file, path });
  if (x.args !== undefined && !isObj(x.args)) throw new ClaraError('expected "args" to be an object', { file, path: joinPath(path, 'args') });
  return x as ComponentConf;
}

/** config_automl.json, resolved by the MMAR loader with the train config's variable layers (`vars` as --set). */
export function readAutoMLConfig(
  mmar: string,
  file: string,
  vars: Record<string, string>,
): { handlers: ComponentConf[]; executor?: ComponentConf; controller: ComponentConf; pruner?: ComponentConf; scheduler?: ComponentConf } {
  const j: unknown = loadAutomlConfig(mmar, { file, set: vars }).json;
  if (!isObj(j)) throw new ClaraError('expected an object with handlers, executor, controller', { file });
  const handlers = j.handlers ?? [];
  if (!Array.isArray(handlers)) throw new ClaraError('expected a list of handlers', { file, path: 'handlers' });
  if (j.controller === undefined) throw new ClaraError('a controller is required', { file, path: 'controller' });
  return {
    handlers: handlers.map((h, i) => component(h, file, `handlers[${i}]`)),
    controller: component(j.controller, file, 'controller'),
    ...(j.executor !== undefined ? { executor: component(j.executor, file, 'executor') } : {}),
    ...(j.pruner !== undefined ? { pruner: component(j.pruner, file, 'pruner') } : {}),
    ...(j.scheduler !== undefined ? { scheduler: component(j.scheduler, file, 'scheduler') } : {}),
  };
}

function resolveTrainConfig(mmar: string, f: string | undefined): string {
  const name = f ?? 'config_train.json';
  const cands = isAbsolute(name) ? [name] : [join(mmar, 'config', name), join(mmar, name)];
  const hit = cands.find((c) => existsSync(c));
  if (!hit) throw new ClaraError(`train config '${name}' not found; looked for ${cands.join(', ')}`, { path: 'MMARHandler.args.train_config_file' });
  return hit;
}

export async function runAutoML(o: AutoMLOptions): Promise<RunSummary & { runRoot: string }> {
  checkRunId(o.runId);
  const mmar = resolve(o.mmarRoot);
  if (!existsSync(mmar)) throw new ClaraError(`MMAR folder not found: ${mmar}`, { path: '-m' });
  // Clara's automl.sh always passes trainconf; without it the MMAR's config_train.json is meant.
  const vars: Record<string, string> = { trainconf: 'config_train.json', ...o.vars, run_id: o.runId };
  const cfgFile = o.config ? (isAbsolute(o.config) ? o.config : join(mmar, o.config)) : join(mmar, 'config', 'config_automl.json');
  const cfg = readAutoMLConfig(mmar, cfgFile, vars);
  const runRoot = join(mmar, 'automl', o.runId);
  const journalFile = join(runRoot, 'journal.jsonl');
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));

  let resume;
  if (o.resume) {
    if (!existsSync(journalFile)) throw new ClaraError(`nothing to resume: ${journalFile} does not exist`, { path: '--resume' });
    resume = journalState(Journal.read(journalFile));
  } else if (existsSync(journalFile)) {
    throw new ClaraError(`run '${o.runId}' already exists (${runRoot}); use --resume to continue it or choose another run_id`, { path: 'run_id' });
  }
  const seed = o.seed ?? resume?.seed ?? randomInt(0, 2 ** 31 - 1);

  // Handlers.
  const handlers: NamedHandler[] = [];
  let mmarHandler: MMARHandler | undefined;
  for (const [i, h] of cfg.handlers.entries()) {
    if (h.disabled) continue;
    const inst = await buildAutomlComponent(h, 'automl_handler', { file: cfgFile, path: `handlers[${i}]`, mmarRoot: mmar });
    if (inst instanceof MMARHandler) mmarHandler = inst;
    handlers.push({ name: h.name ?? h.path!, handler: h.path ? asHandler(inst) : (inst as Handler) });
  }

  handlers.push(...(o.extraHandlers ?? []));

  // Controller.
  const cc = cfg.controller;
  const madeController = await buildAutomlComponent(cc, 'controller', { file: cfgFile, path: 'controller', mmarRoot: mmar });
  let controller: Controller = cc.path ? asController(madeController, { file: cfgFile, path: 'controller' }) : (madeController as Controller);
  const controllerName = cc.path ?? cc.name!;

  // Search space from the train config.
  const trainConfigFile = resolveTrainConfig(mmar, mmarHandler?.trainConfigFile ?? vars.trainconf);
  const source = o.source ?? configSearchSource;
  const trainJson = readJsonFile(trainConfigFile);
  const space = source.parse(trainJson, trainConfigFile);
  for (const u of unusedSearchVariables(space.items)) log(unusedSearchWarning(u, trainConfigFile));
  // Known-good configurations first (src/automl/initial-recommendations.ts).
  const seeds = parseInitialRecommendations((readJsonFile(cfgFile) as { initial_recommendations?: unknown }).initial_recommendations, space, {
    file: cfgFile,
    path: 'initial_recommendations',
  });
  if (seeds.length) controller = new SeededController(controller, seeds);

  // Executor (workers=slurm:N runs the configured MMARExecutor's jobs on Slurm: its args carry over).
  const workersSpec = o.workers ?? vars.workers;
  let ec = cfg.executor ?? { name: 'MMARExecutor', args: {} };
  if (slurmWorkerCount(workersSpec) !== undefined && ec.name === 'MMARExecutor') ec = { ...ec, name: 'SlurmExecutor' };
  // Budgets (src/automl/budget.ts): max_job_run_time is the executor's timeout_s.
  const budget = readBudget(cfgFile, vars);
  ec = { ...ec, args: withJobRunTime(ec.args ?? {}, budget, cfgFile) };
  const workDir = mmarHandler?.workDir;
  if (workDir && !existsSync(workDir)) log(`automl: MMARHandler work_dir ${workDir} does not exist here; jobs are kept under ${runRoot}`);
  const env: ExecutorEnv = {
    mmarRoot: mmar,
    trainConfigFile,
    trainJson,
    space,
    source,
    log,
    keyMmarContentOnly: mmarHandler?.keyContentOnly ?? true,
    exclude: workDir && existsSync(workDir) ? [workDir] : [],
    ...(workersSpec !== undefined ? { workersSpec } : {}),
  };
  const ePlace = { file: cfgFile, path: 'executor', mmarRoot: mmar };
  let executor = checkContract<Executor>(await buildAutomlComponent(ec, 'executor', ePlace, { ...env }), CONTRACTS.executor, ePlace);
  // num_folds > 1: a job is a configuration × k folds (src/automl/cross-validation.ts), each fold a local job or, on Slurm, its own Slurm job.
  const cv = numFoldsOf(cfgFile, vars);
  if (cv.numFolds > 1) {
    const onSlurm = executor instanceof SlurmExecutor ? executor : undefined;
    if (!(executor instanceof MMARExecutor) && !onSlurm)
      throw new ClaraError('num_folds > 1 runs on MMARExecutor or SlurmExecutor (not a BYOC executor yet)', { file: cfgFile, path: 'num_folds' });
    const foldRetries = maxFailuresOf(cfgFile, vars);
    const crossValidation = new CrossValidation({
      numFolds: cv.numFolds,
      base: (executor as MMARExecutor | SlurmExecutor).opts,
      pruner: cv.pruner,
      log,
      ...(foldRetries > 0 ? { retry: { maxFailures: foldRetries, log } } : {}),
      ...(onSlurm ? { foldExecutor: (f: { extraArgs: string[]; statsSubdir: string }) => onSlurm.forFold(f), cluster: onSlurm } : {}),
    });
    executor = crossValidation;
    handlers.push({ name: 'CrossValidation', handler: crossValidation });
  }

  // Pruner.
  let pruner: Pruner | undefined;
  if (cfg.pruner) {
    const ctx = { file: cfgFile, path: 'pruner', mmarRoot: mmar };
    pruner = checkContract<Pruner>(await buildAutomlComponent(cfg.pruner, 'pruner', ctx), CONTRACTS.pruner, ctx);
  }

  // Successive halving (ASHA/Hyperband): src/automl/scheduler-config.ts.
  const scheduler = schedulerFromConfig(cfg.scheduler, vars, trainJson, cfgFile);
  if (scheduler)
    checkSchedulerFits(
      { pruner: Boolean(pruner), builtinExecutor: executor instanceof MMARExecutor || executor instanceof SlurmExecutor, numFolds: cv.numFolds },
      cfgFile,
    );

  // max_failures: failed jobs are tried again, out-of-memory ones at a lower fidelity (src/automl/retry.ts); a cross-validated job's folds each on their own
  const maxFailures = maxFailuresOf(cfgFile, vars);
  if (maxFailures > 0 && cv.numFolds === 1) executor = new RetryingExecutor(executor, { maxFailures, log });
  const slots = executor.workerSlots?.();
  const workers = slots ?? parseWorkers(workersSpec ?? 'cpu', { path: 'workers' });
  if (!slots) checkLocalGpus(workers, localGpuCount(), { path: 'workers' }); // a cluster places GPUs on its own nodes
  const journal = new Journal(journalFile);
  journal.open();
  const engine = new AutoMLEngine({
    runId: o.runId,
    runRoot,
    mmarRoot: mmar,
    space,
    controller,
    controllerName,
    executor,
    handlers,
    workers,
    journal,
    seed,
    ...(resume ? { resume } : {}),
    ...(pruner ? { pruner } : {}),
    ...(scheduler ? { scheduler } : {}),
    budget,
    log,
    props: { trainConfigFile, configFile: cfgFile, controller_args: cc.args ?? {} },
  });
  o.onEngine?.(engine);
  try {
    return { ...(await engine.run()), runRoot };
  } finally {
    journal.close();
  }
}
