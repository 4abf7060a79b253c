// One call for the trainer: load an MMAR and get a builder for its train config.
import { ConfigBuilder } from '../config/build.js';
import type { ComponentRegistry } from '../config/registry.js';
import { loadMmar, type LoadedMmar, type LoadMmarOptions } from './load.js';

export interface OpenMmarOptions extends LoadMmarOptions {
  registry?: ComponentRegistry;
}

/** Loads the MMAR and creates a ConfigBuilder for its train config (BYOC modules loaded). */
export async function openMmar(root: string, opts: OpenMmarOptions = {}): Promise<{ mmar: LoadedMmar; builder: ConfigBuilder }> {
  const mmar = loadMmar(root, opts);
  const builder = await ConfigBuilder.create(mmar.train, { registry: opts.registry, mmarRoot: mmar.paths.root });
  return { mmar, builder };
}
