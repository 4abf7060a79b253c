// Registers MLflowHandler (kind automl_handler) in the shared component registry.
import { registry } from '../../config/registry.js';
import { createMLflowHandler } from './mlflow.js';

if (!registry.has('MLflowHandler')) {
  registry.register({
    names: ['MLflowHandler'],
    kind: 'automl_handler',
    factory: (args, ctx) => createMLflowHandler(args, ctx),
    args: ['tracking_uri', 'experiment_name', 'tags'],
    description: 'logs the AutoML run to MLflow: a parent run, a child run per job (journal first, outage-tolerant)',
  });
}
