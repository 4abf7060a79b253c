// How a built component can be built again in another thread: the registry name and its
// (plain, resolved) args, or the BYOC module it came from. The config builder and the
// transform builder record one for each instance they build; the data area's worker pool
// reads them to rebuild a transform prefix in worker_threads. Components built in code
// (`new X(...)`) have none.

export interface ByocModule {
  /** file:// URL of the module that was imported. */
  url: string;
  exportName: string;
  /** `new Export(args, ctx)` for a class, `Export(args, ctx)` for a factory function. */
  construct: 'class' | 'function';
}

export interface ComponentRecipe {
  /** Registry name (without `#alias`). */
  name: string;
  alias?: string;
  /** The resolved args the factory received. */
  args: Record<string, unknown>;
  /** Resolved extra fields of the component (4.x `data_list_key` ...). */
  extra?: Record<string, unknown>;
  /** Set for BYOC `path` components. */
  byoc?: ByocModule;
  /** Config file and JSON path (for errors). */
  file: string;
  path: string;
  mmarRoot?: string;
}

const recipes = new WeakMap<object, ComponentRecipe>();

/** Records how `instance` was built (the first recipe wins: a shared instance keeps its own). */
export function setRecipe(instance: unknown, recipe: ComponentRecipe): void {
  if ((typeof instance === 'object' || typeof instance === 'function') && instance !== null && !recipes.has(instance)) recipes.set(instance, recipe);
}

export function recipeOf(instance: unknown): ComponentRecipe | undefined {
  return (typeof instance === 'object' || typeof instance === 'function') && instance !== null ? recipes.get(instance) : undefined;
}

/** Where `v` is not plain data (what a structured clone keeps as is), a description of the first such value. */
export function nonPlain(v: unknown, path = 'args'): string | undefined {
  if (v === null || v === undefined) return undefined;
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return undefined;
  if (t === 'function') return `${path} is a function`;
  if (t === 'symbol') return `${path} is a symbol`;
  if (ArrayBuffer.isView(v)) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = nonPlain(v[i], `${path}[${i}]`);
      if (r) return r;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return `${path} is a ${(v as object).constructor?.name ?? 'class'} instance`;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const r = nonPlain(x, `${path}.${k}`);
    if (r) return r;
  }
  return undefined;
}
