// `validate` / `infer` with Clara's standalone configs (-c config/config_validation.json,
// config/config_inference.json): detected by layout, run by train/run-standalone.ts (4.x) or
// train/clara3-validation.ts (3.x). Returns false for a train config (the caller runs its validate section).
import { configFileLayout } from '../train/standalone-config.js';
import { runStandalone } from '../train/run-standalone.js';
import { runClara3Validation } from '../train/clara3-validation.js';

interface Opts {
  mmar: string;
  config?: string;
  set?: string[];
  model?: string;
  dataKey?: string;
  output?: string;
}

export async function runStandaloneCommand(o: Opts): Promise<boolean> {
  const layout = configFileLayout(o.mmar, o.config);
  if (layout === 'train') return false;
  const opts = { mmarRoot: o.mmar, config: o.config, set: o.set, model: o.model, dataKey: o.dataKey, output: o.output };
  const r = layout === 'clara4' ? await runStandalone(opts) : await runClara3Validation(opts);
  const key = r.keyMetricName;
  console.log(JSON.stringify({ ...(key ? { [key]: r.metrics[key] ?? null } : {}), metrics: r.metrics, cases: r.cases, outputs: r.outputs, model: r.model }));
  return true;
}
