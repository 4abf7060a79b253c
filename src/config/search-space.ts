// Search entries (top level or inside any component; only the key `search` — `__search` and
// `___search` are the authors' way of commenting one out) → a SearchSpace.
//
// Key rule: `<domain>.<type>.<path>$<index>:<args>` where <path> is the JSON path of the component
// holding the entry (empty for the top level, so `lr.float.$0:learning_rate`), <index> the entry's
// position in that `search` list, <args> the args as written joined by ',' (e.g.
// `transform.float.train.pre_transforms[6]$0:prob#myProb`, `net.enum.$0:use_amp`).
//
// Args: at the top level `name` and `@name` both set the variable `name`. In a component `arg`
// sets that argument, `arg#alias` too and publishes the value as `alias` for other components'
// `apply: {"arg": "alias"}`, `@disabled` the component's disabled flag, `@var` the variable `var`
// (read by `apply: {"@disabled": "var"}` elsewhere).
// Floats: targets `[min, max]`; log scale when the entry says `"log": true` or `"scale": "log"`;
// an `lr`-domain range spanning two decades or more (max/min >= 100, min > 0) defaults to log.
import { ClaraError, closestNames, joinPath } from '../util/errors.js';
import { isPlainObject } from '../util/json-file.js';
import { collectComponents, type WalkOptions } from './tree.js';
import type { ComponentNode } from './component.js';
import type { SearchItem, SearchSpace, SearchTarget, SearchType } from './search-types.js';

const TYPES: SearchType[] = ['float', 'enum', 'int', 'bool'];

/** Builds the key of a search entry. */
export function searchKey(domain: string, type: string, componentPath: string, index: number, args: string[]): string {
  return `${domain}.${type}.${componentPath}$${index}:${args.join(',')}`;
}

/** Every `{name}` use of each variable in the tree (search entries excluded): name → JSON paths. */
function variableUses(tree: unknown): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const visit = (v: unknown, path: string) => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
        const l = uses.get(m[1]) ?? [];
        l.push(path);
        uses.set(m[1], l);
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, joinPath(path, i)));
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) if (k !== 'search') visit(x, joinPath(path, k));
  };
  visit(tree, '');
  return uses;
}

function parseEntry(
  entry: unknown,
  path: string,
  index: number,
  owner: ComponentNode | undefined,
  config: Record<string, unknown>,
  file: string,
): Omit<SearchItem, 'targets' | 'switches'> & { argSpecs: { spec: string; target: SearchTarget }[] } {
  const epath = `${path ? `${path}.` : ''}search[${index}]`;
  const place = (k?: string) => ({ file, path: k ? `${epath}.${k}` : epath });
  if (!isPlainObject(entry)) throw new ClaraError('expected a search entry {"domain", "type", "args", "targets"}', place());
  const type = entry.type;
  if (typeof type !== 'string' || !TYPES.includes(type as SearchType)) {
    throw new ClaraError(`expected "type" to be one of ${TYPES.join(', ')}, found ${JSON.stringify(type)}`, place('type'));
  }
  const domain = entry.domain;
  if (typeof domain !== 'string' || domain === '') throw new ClaraError('expected "domain" (lr, net, transform ...)', place('domain'));
  const rawArgs = typeof entry.args === 'string' ? [entry.args] : entry.args;
  if (!Array.isArray(rawArgs) || rawArgs.length === 0 || !rawArgs.every((a) => typeof a === 'string' && a !== '')) {
    throw new ClaraError('expected "args" to be a non-empty list of names ("arg", "arg#alias", "@disabled", "@var")', place('args'));
  }
  const args = rawArgs as string[];
  const argSpecs = args.map((spec, j) => {
    const target = argTarget(spec, owner, file, `${epath}.args[${j}]`);
    return { spec, target };
  });
  const current = argSpecs.map(({ target }) =>
    target.kind === 'var' ? config[target.name] : target.kind === 'disabled' ? (owner?.disabled ?? false) : owner?.args[target.name],
  );
  const item: ReturnType<typeof parseEntry> = {
    key: searchKey(domain, type, path, index, args),
    domain,
    type: type as SearchType,
    args,
    path: epath,
    argSpecs,
    current,
  };
  const targets = entry.targets;
  if (type === 'float' || type === 'int') {
    if (!Array.isArray(targets) || targets.length !== 2 || !targets.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new ClaraError(`expected "targets" to be [min, max] numbers for a ${type} search, found ${JSON.stringify(targets)}`, place('targets'));
    }
    const [lo, hi] = targets as [number, number];
    if (lo > hi) throw new ClaraError(`expected min <= max in "targets", found [${lo}, ${hi}]`, place('targets'));
    if (type === 'int' && (!Number.isInteger(lo) || !Number.isInteger(hi)))
      throw new ClaraError('expected integer [min, max] for an int search', place('targets'));
    item.range = [lo, hi];
    if (type === 'float') {
      const explicit = entry.log === true || entry.scale === 'log' ? true : entry.log === false || entry.scale === 'linear' ? false : undefined;
      if (explicit === true && !(lo > 0)) throw new ClaraError(`a log-scale range needs min > 0, found [${lo}, ${hi}]`, place('targets'));
      item.log = explicit ?? (domain === 'lr' && lo > 0 && hi / lo >= 100);
    }
  } else if (type === 'enum') {
    if (!Array.isArray(targets) || targets.length === 0) throw new ClaraError('expected "targets" to be a non-empty list of choices', place('targets'));
    item.choices = targets.map((c, i) => {
      const choice = Array.isArray(c) ? c : args.length === 1 ? [c] : undefined;
      if (!choice || choice.length !== args.length) {
        throw new ClaraError(`expected choice ${i} to be a list with one value per arg (${args.length}: ${args.join(', ')}), found ${JSON.stringify(c)}`, {
          file,
          path: `${epath}.targets[${i}]`,
        });
      }
      return choice;
    });
  } else {
    if (targets !== undefined && !(Array.isArray(targets) && targets.every((t) => typeof t === 'boolean'))) {
      throw new ClaraError('expected "targets" of a bool search to be absent or [true, false]', place('targets'));
    }
    item.choices = [[true], [false]];
  }
  return item;
}

function argTarget(spec: string, owner: ComponentNode | undefined, file: string, path: string): SearchTarget {
  if (!owner) {
    const name = spec.startsWith('@') ? spec.slice(1) : spec;
    const hash = name.indexOf('#');
    return hash < 0 ? { kind: 'var', name } : { kind: 'var', name: name.slice(0, hash), alias: name.slice(hash + 1) };
  }
  if (spec === '@disabled') return { kind: 'disabled', name: 'disabled', componentPath: owner.path };
  if (spec.startsWith('@')) return { kind: 'var', name: spec.slice(1) };
  const hash = spec.indexOf('#');
  const name = hash < 0 ? spec : spec.slice(0, hash);
  const alias = hash < 0 ? undefined : spec.slice(hash + 1);
  if (!(name in owner.args)) {
    const close = closestNames(name, Object.keys(owner.args));
    throw new ClaraError(
      `search arg '${name}' is not an argument of ${owner.name || 'this component'}` +
        (close.length ? `; its args are ${Object.keys(owner.args).join(', ')} (closest: ${close[0]})` : ' (it has no args)'),
      { file, path },
    );
  }
  return alias ? { kind: 'arg', name, componentPath: owner.path, alias } : { kind: 'arg', name, componentPath: owner.path };
}

/** Reads every search entry of a train config into a SearchSpace. */
export function extractSearchSpace(config: Record<string, unknown>, opts: WalkOptions): SearchSpace {
  const { file } = opts;
  const nodes = collectComponents(config, opts);
  const uses = variableUses(config);
  const owners: { path: string; owner?: ComponentNode; search: unknown }[] = [];
  if (config.search !== undefined) owners.push({ path: '', search: config.search });
  for (const n of nodes) if (n.search !== undefined) owners.push({ path: n.path, owner: n, search: n.search });
  const parsed = owners.flatMap(({ path, owner, search }) => {
    if (!Array.isArray(search)) throw new ClaraError('expected "search" to be a list of search entries', { file, path: path ? `${path}.search` : 'search' });
    return search.map((e, i) => parseEntry(e, path, i, owner, config, file));
  });
  // Each variable / component arg / disabled flag is searched by one entry only.
  const owner = new Map<string, string>();
  for (const p of parsed) {
    p.argSpecs.forEach(({ target }, j) => {
      const id =
        target.kind === 'var' ? `variable '${target.name}'` : `${target.componentPath}.${target.kind === 'disabled' ? 'disabled' : `args.${target.name}`}`;
      const prev = owner.get(id);
      if (prev) throw new ClaraError(`${id} is searched twice (also by ${prev})`, { file, path: `${p.path}.args[${j}]` });
      owner.set(id, p.key);
    });
  }
  // Aliases: declared once.
  const aliases = new Map<string, string>();
  for (const p of parsed) {
    for (const { target } of p.argSpecs) {
      if (!target.alias) continue;
      const prev = aliases.get(target.alias);
      if (prev) throw new ClaraError(`search alias '${target.alias}' is declared twice (also at ${prev})`, { file, path: p.path });
      aliases.set(target.alias, p.path);
    }
  }
  const items: SearchItem[] = parsed.map(({ argSpecs, ...item }) => {
    const targets = argSpecs.map(({ target }) => {
      const t: SearchTarget = { ...target };
      const applied: { componentPath: string; arg: string }[] = [];
      for (const n of nodes) {
        if (!n.apply) continue;
        for (const [arg, v] of Object.entries(n.apply)) {
          if (t.alias && v === t.alias && arg !== '@disabled') applied.push({ componentPath: n.path, arg });
          else if (t.kind === 'var' && v === t.name && !aliases.has(t.name)) applied.push({ componentPath: n.path, arg });
        }
      }
      if (applied.length) t.appliedTo = applied;
      if (t.kind === 'var' && uses.has(t.name)) t.usedAt = uses.get(t.name);
      return t;
    });
    const switches: Record<string, string[]> = {};
    for (const t of targets) {
      if (t.kind === 'disabled' && t.componentPath) switches['@disabled'] = [t.componentPath];
      if (t.kind === 'var') {
        const paths = new Set<string>();
        for (const a of t.appliedTo ?? []) if (a.arg === '@disabled') paths.add(a.componentPath);
        for (const n of nodes) if (n.disabled === `{${t.name}}`) paths.add(n.path);
        if (paths.size) switches[t.name] = [...paths];
      }
    }
    return Object.keys(switches).length ? { ...item, targets, switches } : { ...item, targets };
  });
  return { items };
}

/** Every alias the space declares → the item and target that declares it. */
export function searchAliases(space: SearchSpace): Map<string, { item: SearchItem; target: SearchTarget; argIndex: number }> {
  const out = new Map<string, { item: SearchItem; target: SearchTarget; argIndex: number }>();
  for (const item of space.items)
    item.targets.forEach((target, argIndex) => {
      if (target.alias) out.set(target.alias, { item, target, argIndex });
    });
  return out;
}
