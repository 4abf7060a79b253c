// What `config check` reports as unrunnable is an error for `config check` (after its
// report) and for `train` (before anything is built): a component name nothing implements
// (with the closest registered names), a missing BYOC module, a Python expression that
// cannot be mapped.
import { ClaraError } from '../util/errors.js';
import type { CheckReport } from './check.js';
import { registry as sharedRegistry, type ComponentRegistry } from './registry.js';

function unknownName(u: { file: string; path: string; name: string }, reg: ComponentRegistry): string {
  try {
    reg.require(u.name, { file: u.file, path: u.path });
  } catch (e) {
    if (e instanceof ClaraError) return e.message;
  }
  return `${u.file}: ${u.path}: unknown component '${u.name}'`;
}

function unrunnableMessage(r: CheckReport, reg: ComponentRegistry = sharedRegistry): string | null {
  const items = [...r.unregistered.map((u) => unknownName(u, reg)), ...r.problems];
  if (items.length === 0) return null;
  return items.length === 1 ? items[0] : `${items.length} problems: ${items.join('; ')}`;
}

export function refuseUnrunnable(r: CheckReport, reg?: ComponentRegistry): void {
  const m = unrunnableMessage(r, reg);
  if (m) throw new ClaraError(m);
}
