// Loads every area's component registrations into the shared registry.
// Each area adds one import line here (transforms, models, losses, ...).
export {};
import '../transforms/register.js';
import '../data/register.js';
