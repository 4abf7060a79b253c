// Loads every area's component registrations into the shared registry.
// Each area adds one import line here (transforms, models, losses, ...).
import '../automl/register.js';
export {};
import '../train/register.js';
import '../automl/handlers/register-mlflow.js';
import '../transforms/register.js';
import '../data/register.js';
import '../models/register.js';
import '../losses/register.js';
import '../metrics/register.js';
import '../optimizers/register.js';
import '../train/inferers/register.js';
