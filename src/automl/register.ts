// Registers the AutoML built-ins under Clara's names: controllers (kind `controller`),
// handlers (kind `automl_handler`), the pruner (kind `pruner`) and the executors (kind
// `executor`, handed automl/executors/env.ts's ExecutorEnv as BuildContext.env).
import { registry } from '../config/registry.js';
import { GRID_ARGS, GridController } from './controllers/grid.js';
import { RANDOM_ARGS, RandomController } from './controllers/random.js';
import { REINFORCEMENT_ARGS, ReinforcementController } from './controllers/reinforcement.js';
import { TPE_ARGS, TPEController } from './controllers/tpe.js';
import { MMAR_HANDLER_ARGS, MMARHandler } from './handlers/mmar-handler.js';
import { buildSlurmExecutor, checkSlurmArgs, SLURM_EXECUTOR_ARGS } from './executors/slurm-config.js';
import { checkExecutorArgs, MMAR_EXECUTOR_ARGS, mmarExecutorOptions } from './executors/local-options.js';
import { executorEnv } from './executors/env.js';
import { MMARExecutor } from './executor.js';
import { MMARStatsHandler, MMARTensorboardHandler, StatsHandler } from './handlers/stats-handler.js';
import { MEDIAN_PRUNER_ARGS, MedianPruner } from './pruner.js';
import { ASHA_ARGS } from './asha.js';

const place = (c: { file: string; path: string }) => ({ file: c.file, path: c.path });

const KINDS = ['controller', 'automl_handler', 'pruner', 'executor'] as const;
function once(name: string, fn: () => void): void {
  if (!KINDS.some((k) => registry.has(name, k))) fn();
}

once('ReinforcementController', () =>
  registry.register({
    names: ['ReinforcementController'],
    kind: 'controller',
    args: REINFORCEMENT_ARGS,
    factory: (a, c) => new ReinforcementController(a, place(c)),
    description: "Clara's policy-gradient controller (categorical + Gaussian policies)",
  }),
);
once('RandomController', () =>
  registry.register({
    names: ['RandomController'],
    kind: 'controller',
    args: RANDOM_ARGS,
    factory: (a, c) => new RandomController(a, place(c)),
    description: 'seeded uniform random search',
  }),
);
once('GridController', () =>
  registry.register({
    names: ['GridController'],
    kind: 'controller',
    args: GRID_ARGS,
    factory: (a, c) => new GridController(a, place(c)),
    description: 'grid over enums × discretised floats',
  }),
);
once('TPEController', () =>
  registry.register({
    names: ['TPEController'],
    kind: 'controller',
    args: TPE_ARGS,
    factory: (a, c) => new TPEController(a, place(c)),
    description: 'Tree-structured Parzen Estimator (Bayesian), constant liar for parallel workers',
  }),
);
once('MMARHandler', () =>
  registry.register({
    names: ['MMARHandler'],
    kind: 'automl_handler',
    args: MMAR_HANDLER_ARGS,
    factory: (a, c) => new MMARHandler(a, place(c)),
    description: 'stop threshold, best/ copy, keeps the best N job folders',
  }),
);
once('StatsHandler', () =>
  registry.register({
    names: ['StatsHandler'],
    kind: 'automl_handler',
    factory: (a) => new StatsHandler(a),
    description: 'live leaderboard and final table',
  }),
);
once('MMARStatsHandler', () =>
  registry.register({
    names: ['MMARStatsHandler'],
    kind: 'automl_handler',
    factory: () => new MMARStatsHandler(),
    description: 'automl/<run_id>/stats.json',
  }),
);
once('MMARTensorboardHandler', () =>
  registry.register({
    names: ['MMARTensorboardHandler'],
    kind: 'automl_handler',
    factory: () => new MMARTensorboardHandler(),
    description: 'not supported (notice only)',
  }),
);
once('MedianPruner', () =>
  registry.register({
    names: ['MedianPruner'],
    kind: 'pruner',
    args: MEDIAN_PRUNER_ARGS,
    factory: (a, c) => new MedianPruner(a, place(c)),
    description: 'stops a job below the median of ended jobs at the same epoch',
  }),
);
once('ASHA', () =>
  registry.register({
    names: ['ASHA', 'SuccessiveHalving'],
    kind: 'scheduler',
    args: ASHA_ARGS,
    factory: (a) => a,
    description: 'asynchronous successive halving: rungs in epochs, promoted jobs continue from their checkpoints',
  }),
);
once('Hyperband', () =>
  registry.register({
    names: ['Hyperband'],
    kind: 'scheduler',
    args: ASHA_ARGS,
    factory: (a) => a,
    description: 'asynchronous Hyperband: ASHA brackets starting at successive rungs',
  }),
);
once('MMARExecutor', () =>
  registry.register({
    names: ['MMARExecutor'],
    kind: 'executor',
    args: MMAR_EXECUTOR_ARGS,
    check: checkExecutorArgs,
    factory: (a, c) => new MMARExecutor(mmarExecutorOptions(a, place(c), executorEnv(c))),
    description: 'runs each job as a local `clara-train train` child process',
  }),
);
once('SlurmExecutor', () =>
  registry.register({
    names: ['SlurmExecutor'],
    kind: 'executor',
    args: SLURM_EXECUTOR_ARGS,
    check: (a, p) => {
      checkExecutorArgs(a, p);
      checkSlurmArgs(a, p);
    },
    factory: (a, c) => buildSlurmExecutor(a, place(c), executorEnv(c)),
    description: 'runs each job as an sbatch job (`clara-train train`) on a Slurm cluster with a shared filesystem',
  }),
);
