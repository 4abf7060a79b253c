// One config_automl.json component (handler, controller, executor, pruner) from its registered
// factory (`"name"`, args checked by name and value) or a BYOC module (`"path":
// "module.Export"`), built with the same context either way; the caller checks the result
// once against the kind's contract.
import type { BuildContext, ComponentKind } from '../components/registry.js';
import { loadByoc } from '../config/byoc.js';
import { registry } from '../config/registry.js';
import { joinPath } from '../util/errors.js';

export interface ComponentConf {
  name?: string;
  path?: string;
  args?: Record<string, unknown>;
  disabled?: boolean;
}

export async function buildAutomlComponent(
  c: ComponentConf,
  kind: ComponentKind,
  place: { file: string; path: string; mmarRoot: string },
  env?: Record<string, unknown>,
): Promise<unknown> {
  const args = c.args ?? {};
  const ctx: BuildContext = { ...place, ...(env ? { env } : {}) };
  if (c.path) return (await loadByoc(c.path, ctx))(args, ctx);
  const spec = registry.require(c.name!, { file: place.file, path: joinPath(place.path, 'name') }, kind);
  registry.checkArgs(spec, args, place);
  return spec.factory(args, ctx);
}
