// Loads every area's component registrations into the shared registry.
// Each area adds one import line here (transforms, models, losses, ...).
export {};
import '../models/register.js';
import '../losses/register.js';
import '../metrics/register.js';
import '../optimizers/register.js';
import '../train/inferers/register.js';
