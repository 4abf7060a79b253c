// Bring-your-own-component: `"path": "module.Export"` → the ES module `module.js` or `module.mjs`
// (dots before the export name are folders: `a.b.Export` → `a/b.js`), looked up first under the
// MMAR's `custom/` folder, then under the MMAR root. The export is a class (constructed with
// `new Export(args, ctx)`) or a factory function (called as `Export(args, ctx)`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClaraError } from '../util/errors.js';
import type { BuildContext, Factory } from './registry.js';
import type { ByocModule } from '../components/recipe.js';

const byocModules = new WeakMap<Factory, ByocModule>();
const byocClasses = new WeakMap<Factory, Function>();

/** The class a factory from loadByoc constructs (undefined for a factory function). */
export function byocClassOf(factory: Factory): Function | undefined {
  return byocClasses.get(factory);
}

/** The module a factory from loadByoc came from (so another thread can import it again). */
export function byocModuleOf(factory: Factory): ByocModule | undefined {
  return byocModules.get(factory);
}

/** Files tried for `module.Export`, in order. */
export function byocCandidates(mmarRoot: string, spec: string): string[] {
  const parts = spec.split('.');
  const rel = parts.slice(0, -1).join('/');
  const out: string[] = [];
  for (const dir of [join(mmarRoot, 'custom'), mmarRoot]) for (const ext of ['.js', '.mjs']) out.push(join(dir, rel + ext));
  return out;
}

function isClass(fn: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Loads a BYOC export as a Factory; errors name the file, JSON path and where it looked. */
export async function loadByoc(spec: string, place: { file: string; path: string; mmarRoot?: string }): Promise<Factory> {
  const where = { file: place.file, path: `${place.path}.path` };
  if (!place.mmarRoot) throw new ClaraError(`cannot load "${spec}": no MMAR root is known to look under`, where);
  const exportName = spec.slice(spec.lastIndexOf('.') + 1);
  const candidates = byocCandidates(place.mmarRoot, spec);
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new ClaraError(`BYOC module for "${spec}" not found; looked for ${candidates.join(', ')}`, where);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(found).href)) as Record<string, unknown>;
  } catch (e) {
    throw new ClaraError(`BYOC module ${found} failed to load: ${e instanceof Error ? e.message : String(e)}`, where);
  }
  const exp = mod[exportName];
  if (typeof exp !== 'function') {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new ClaraError(`${found} has no exported class or function '${exportName}'` + (names.length ? `; it exports ${names.join(', ')}` : ''), where);
  }
  const fn = exp as (...a: unknown[]) => unknown;
  const construct = isClass(fn) ? 'class' : 'function';
  const factory: Factory =
    construct === 'class'
      ? (args: Record<string, unknown>, ctx: BuildContext) => new (fn as unknown as new (a: unknown, c: unknown) => unknown)(args, ctx)
      : (args: Record<string, unknown>, ctx: BuildContext) => fn(args, ctx);
  byocModules.set(factory, { url: pathToFileURL(found).href, exportName, construct });
  if (construct === 'class') byocClasses.set(factory, fn);
  return factory;
}
