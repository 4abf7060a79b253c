// What `config check` says about config_automl.json's search settings before a search runs:
// the scheduler (ASHA/Hyperband and its arguments), the budgets and the initial
// recommendations against the train config's search space. Each problem is one line
// naming the file and JSON path, as a search would report it.
import type { SearchSpace } from '../config/search-types.js';
import { ClaraError } from '../util/errors.js';
import { readBudget } from './budget.js';
import { parseInitialRecommendations } from './initial-recommendations.js';
import { schedulerFromConfig } from './scheduler-config.js';
import './register.js';

export function searchSettingProblems(automl: { json: unknown; file: string }, train: { json: unknown; space: SearchSpace }): string[] {
  const j = (automl.json ?? {}) as { scheduler?: { name?: string; args?: Record<string, unknown> }; initial_recommendations?: unknown };
  const out: string[] = [];
  const attempt = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ClaraError)) throw e;
      // an unknown scheduler name is already reported as unregistered
      if (!/unknown scheduler/.test(e.message)) out.push(e.message);
    }
  };
  if (j.scheduler !== undefined) attempt(() => schedulerFromConfig(j.scheduler, {}, train.json, automl.file));
  attempt(() => readBudget(automl.file, {}));
  attempt(() => parseInitialRecommendations(j.initial_recommendations, train.space, { file: automl.file, path: 'initial_recommendations' }));
  return out;
}
