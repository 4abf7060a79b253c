// Builds a Compose from a config's transform list (pre_transforms / post_transforms)
// through the shared registry: `name` ("Name#alias" allowed), `args`, `disabled`.
// The config area's component tree (refs, apply, search) resolves entries first; this
// builder takes what is left and is what the data pipeline uses for plain lists.
import { registry } from '../components/registry.js';
import { setRecipe } from '../components/recipe.js';
import { ClaraError, joinPath } from '../util/errors.js';
import { Transform } from './base.js';
import { Compose } from './compose.js';
import './register.js';

export interface TransformEntry {
  name?: string;
  path?: string;
  args?: Record<string, unknown>;
  disabled?: boolean;
  [k: string]: unknown;
}

export function buildTransform(entry: TransformEntry | Transform, place: { file: string; path: string }): Transform {
  if (entry instanceof Transform) return entry;
  if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string')
    throw new ClaraError(`a transform needs a "name", got ${JSON.stringify(entry)}`, place);
  const name = entry.name.split('#')[0];
  const spec = registry.require(name, place, 'transform');
  const args = entry.args ?? {};
  registry.checkArgs(spec, args, place);
  const t = spec.factory(args, { file: place.file, path: place.path });
  if (!(t instanceof Transform)) throw new ClaraError(`${name} did not build a transform`, place);
  setRecipe(t, { name, alias: entry.name.split('#')[1], args, file: place.file, path: place.path });
  return t;
}

export function composeFromConfig(entries: unknown, place: { file: string; path: string }, seed = 0): Compose {
  if (!Array.isArray(entries)) throw new ClaraError('transforms must be a list of components', place);
  const ts: Transform[] = [];
  entries.forEach((e, i) => {
    const p = { file: place.file, path: joinPath(place.path, i) };
    if (e instanceof Transform) {
      ts.push(e);
      return;
    }
    if ((e as TransformEntry)?.disabled === true) return;
    if ((e as TransformEntry)?.ref !== undefined || (e as TransformEntry)?.apply !== undefined)
      throw new ClaraError('"ref" and "apply" must be resolved by the config loader before building transforms', p);
    ts.push(buildTransform(e as TransformEntry, p));
  });
  return new Compose(ts, seed);
}
