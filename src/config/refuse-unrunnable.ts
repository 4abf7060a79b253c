// What `config check` reports as unrunnable is an error for `config check` (after its
// report) and for `train` (before anything is built): a component name nothing implements,
// a missing BYOC module, a Python expression that cannot be mapped.
import { ClaraError } from '../util/errors.js';
import type { CheckReport } from './check.js';

export function unrunnableMessage(r: CheckReport): string | null {
  const items = [
    ...r.unregistered.map((u) => `${u.file}: ${u.path}: no component '${u.name}' is registered (see \`clara-train builtins\` for the known names)`),
    ...r.problems,
  ];
  if (items.length === 0) return null;
  return items.length === 1 ? items[0] : `${items.length} problems: ${items.join('; ')}`;
}

export function refuseUnrunnable(r: CheckReport): void {
  const m = unrunnableMessage(r);
  if (m) throw new ClaraError(m);
}
