// From a raw config JSON + variables to the concrete tree the trainer builds from:
// `{VAR}` substituted, `apply` entries applied (`@disabled` → the variable's value; `arg` →
// the search alias's value, or a variable's), `disabled` checked to be boolean, `ref`s checked.
// A variable that only a search entry defines (e.g. `mySearchLoss1`) takes the search's default
// (see sampleDefaults) when nothing else sets it.
import { ClaraError, closestNames } from '../util/errors.js';
import { isPlainObject } from '../util/json-file.js';
import { cloneJson, getAtPath } from './json-path.js';
import type { ComponentNode } from './component.js';
import { collectComponents, componentIndex, isDisabled } from './tree.js';
import { extractSearchSpace, searchAliases } from './search-space.js';
import type { SearchSpace } from './search-types.js';
import { argValues, sampleDefaults } from './search-values.js';
import { substituteTree, topLevelScalars, Variables } from './variables.js';

export interface ResolvedConfig {
  file: string;
  /** The config as read. */
  raw: Record<string, unknown>;
  /** Variables substituted, `apply` resolved and removed, `disabled` booleans. */
  json: Record<string, unknown>;
  /** Components of `json` with their JSON paths. */
  components: ComponentNode[];
  /** Name/alias → component (3.x `ref`). */
  index: Map<string, ComponentNode>;
  /** The search space of the raw config. */
  space: SearchSpace;
  vars: Variables;
  /** Variables whose value came from a search default (not set anywhere else). */
  searchDefaults: Record<string, unknown>;
  automl: boolean;
}

export interface ResolveOptions {
  file: string;
  /** Variables from outside the config, in rising precedence (environment.json, then --set). */
  layers?: { values: Record<string, unknown>; source: 'environment' | 'set' | 'builtin'; file?: string }[];
  /** The tree is a config_automl.json. */
  automl?: boolean;
  /** Placeholders left as written when undefined (the executor's `{mmar}`, `{config}`). */
  keep?: readonly string[];
}

/** Resolves a config (see the file comment). Errors name the file and JSON path. */
export function resolveConfig(raw: Record<string, unknown>, opts: ResolveOptions): ResolvedConfig {
  const { file } = opts;
  const automl = opts.automl ?? false;
  const vars = new Variables();
  for (const l of opts.layers ?? []) if (l.source === 'builtin') vars.layer(l.values, 'builtin', l.file);
  vars.layer(topLevelScalars(raw), 'config', file);
  for (const l of opts.layers ?? []) if (l.source !== 'builtin') vars.layer(l.values, l.source, l.file);

  const space = automl ? { items: [] } : extractSearchSpace(raw, { file });
  // Values defined only by search entries: their defaults.
  const searchDefaults: Record<string, unknown> = {};
  const aliasValues = new Map<string, unknown>();
  const defaults = sampleDefaults(space);
  for (const item of space.items) {
    const vals = argValues(item, defaults[item.key]);
    item.targets.forEach((t, j) => {
      if (t.kind === 'var' && !vars.has(t.name)) {
        vars.set(t.name, { value: vals[j], source: 'search-default' });
        searchDefaults[t.name] = vals[j];
      }
    });
  }

  const json = substituteTree(raw, vars, { file, skipKeys: ['search'], keep: opts.keep }) as Record<string, unknown>;
  // Top-level variables as finally resolved (environment.json and --set win over the config's own).
  for (const [k, v] of vars.entries()) {
    if (k in json && v.source !== 'config' && (json[k] === null || typeof json[k] !== 'object')) json[k] = cloneJson(v.value);
  }
  const aliases = searchAliases(space);
  for (const [alias, { target }] of aliases) {
    if (!target.componentPath) {
      aliasValues.set(alias, vars.value(target.name));
      continue;
    }
    const c = getAtPath(json, target.componentPath);
    if (isPlainObject(c) && isPlainObject(c.args)) aliasValues.set(alias, c.args[target.name]);
  }

  const components = collectComponents(json, { file, automl });
  for (const n of components) {
    if (n.apply) {
      for (const [arg, name] of Object.entries(n.apply)) {
        const path = `${n.path}.apply.${arg}`;
        if (typeof name !== 'string') throw new ClaraError(`expected the name of a variable or search alias, found ${JSON.stringify(name)}`, { file, path });
        let value: unknown;
        if (aliasValues.has(name)) value = aliasValues.get(name);
        else if (vars.has(name)) value = vars.value(name);
        else {
          const known = [...aliasValues.keys(), ...vars.names()];
          const close = closestNames(name, known);
          throw new ClaraError(
            `'${name}' is neither a variable nor a search alias` +
              (close.length ? `; closest: ${close.join(', ')}` : '') +
              (arg === '@disabled'
                ? ` (declare it as a top-level variable, or search it with "args": ["@${name}"])`
                : ` (declare it with "${arg}#${name}" in a search entry, or as a variable)`),
            { file, path },
          );
        }
        if (arg === '@disabled') {
          if (typeof value !== 'boolean')
            throw new ClaraError(`variable '${name}' must be true or false to switch "disabled", found ${JSON.stringify(value)}`, { file, path });
          n.raw.disabled = value;
        } else {
          if (!isPlainObject(n.raw.args)) n.raw.args = {};
          (n.raw.args as Record<string, unknown>)[arg] = cloneJson(value);
        }
      }
      delete n.raw.apply;
    }
    if (n.raw.disabled === 'true' || n.raw.disabled === 'false') n.raw.disabled = n.raw.disabled === 'true';
    isDisabled({ disabled: n.raw.disabled, path: n.path }, file);
  }
  const resolved = collectComponents(json, { file, automl });
  const index = componentIndex(resolved);
  for (const n of resolved) {
    if (n.ref && !index.has(n.ref)) {
      const close = closestNames(n.ref, index.keys());
      throw new ClaraError(`ref '${n.ref}' names no component` + (close.length ? `; closest: ${close.join(', ')}` : ''), {
        file,
        path: `${n.path}.ref`,
      });
    }
  }
  return { file, raw, json, components: resolved, index, space, vars, searchDefaults, automl };
}
