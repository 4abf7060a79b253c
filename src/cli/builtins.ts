// Loads every area's component registrations into the shared registry.
// Each area adds one import line here (transforms, models, losses, ...).
import '../automl/register.js';
export {};
import '../train/register.js';
import '../automl/handlers/register-mlflow.js';
