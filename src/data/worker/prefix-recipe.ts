// The serializable description of a Compose's cacheable prefix: one ComponentRecipe per
// transform (registry name + plain args, or the BYOC module). A transform built in code
// (`new X(...)`) or with non-plain args (a built component, a function) has no usable
// recipe; the reason says which, and the dataset then runs the prefix on the main thread.
import { nonPlain, recipeOf, type ComponentRecipe } from '../../components/recipe.js';
import type { Compose } from '../../transforms/compose.js';

export type PrefixDescription = { recipes: ComponentRecipe[] } | { reason: string };

export function describePrefix(compose: Compose, end = compose.firstRandomIndex()): PrefixDescription {
  const recipes: ComponentRecipe[] = [];
  for (let i = 0; i < end; i++) {
    const t = compose.transforms[i];
    const r = recipeOf(t);
    const name = (t as { name?: string }).name ?? t.constructor?.name ?? 'transform';
    if (!r) return { reason: `transform ${i} (${name}) was built in code, not from a config, so a worker cannot rebuild it` };
    const bad = nonPlain(r.args) ?? nonPlain(r.extra, 'extra');
    if (bad) return { reason: `transform ${i} (${name}, ${r.path}) cannot be rebuilt in a worker: ${bad}` };
    recipes.push(r);
  }
  return { recipes };
}
