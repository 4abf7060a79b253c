// Where the AutoML engine gets its search space from a train config, and how it makes a
// concrete config from recommended values: the config area's parser and
// applySearchValues behind a small seam (tests or a future remote executor may swap it).
import { applySearchValues } from '../config/search-apply.js';
import { extractSearchSpace } from '../config/search-space.js';
import type { ConcreteValues, SearchSpace } from '../config/search-types.js';
import { ClaraError } from '../util/errors.js';

export interface SearchSource {
  parse(config: unknown, file: string): SearchSpace;
  apply(config: unknown, space: SearchSpace, values: ConcreteValues, opts: { removeSearch: boolean; file?: string }): unknown;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const configSearchSource: SearchSource = {
  parse(config, file) {
    if (!isObj(config)) throw new ClaraError('expected a train config object', { file });
    return extractSearchSpace(config, { file });
  },
  apply(config, space, values, opts) {
    if (!isObj(config)) throw new ClaraError('expected a train config object', { file: opts.file });
    // Inactive conditional parameters are left out of a recommendation: they keep the config's defaults.
    return applySearchValues(config, space, values, { removeSearch: opts.removeSearch, allowMissing: true, ...(opts.file ? { file: opts.file } : {}) });
  },
};
