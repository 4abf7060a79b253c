// Rebuilds transforms from their recipes (inside a worker thread): registry names through
// the shared registry with the built-in transforms registered, BYOC modules by importing
// the same file again.
import { registry, type BuildContext } from '../../components/registry.js';
import type { ComponentRecipe } from '../../components/recipe.js';
import { ClaraError } from '../../util/errors.js';
import type { Transform } from '../../transforms/base.js';
import '../../transforms/register.js';

async function buildOne(r: ComponentRecipe): Promise<Transform> {
  const place = { file: r.file, path: r.path };
  const ctx: BuildContext = {
    file: r.file,
    path: r.path,
    mmarRoot: r.mmarRoot,
    name: r.name,
    alias: r.alias,
    extra: r.extra,
    resolveRef: (name: string) => {
      throw new ClaraError(`'${name}' cannot be resolved in a worker thread`, place);
    },
  };
  let t: unknown;
  if (r.byoc) {
    const mod = (await import(r.byoc.url)) as Record<string, unknown>;
    const exp = mod[r.byoc.exportName];
    if (typeof exp !== 'function') throw new ClaraError(`${r.byoc.url} has no export '${r.byoc.exportName}' in the worker`, place);
    t =
      r.byoc.construct === 'class'
        ? new (exp as new (a: unknown, c: unknown) => unknown)(r.args, ctx)
        : (exp as (a: unknown, c: unknown) => unknown)(r.args, ctx);
  } else {
    const spec = registry.require(r.name, place, 'transform');
    t = spec.factory(r.args, ctx);
  }
  if (!t || typeof (t as Transform).apply !== 'function') throw new ClaraError(`${r.name} did not build a transform in the worker`, place);
  return t as Transform;
}

export async function buildPrefix(recipes: ComponentRecipe[]): Promise<Transform[]> {
  const out: Transform[] = [];
  for (const r of recipes) out.push(await buildOne(r));
  return out;
}
