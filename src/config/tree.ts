// Walking a config tree: every component with its JSON path, and the `train.X` / `validate.X` blocks.
import { ClaraError, joinPath } from '../util/errors.js';
import { isPlainObject } from '../util/json-file.js';
import { type ComponentNode, isComponent, kindOfSlot, parseComponent } from './component.js';
import type { ComponentKind } from './registry.js';

export interface WalkOptions {
  file: string;
  /** The tree is a config_automl.json (handlers/controller/executor kinds). */
  automl?: boolean;
}

/** Keys the authors commented out by prefixing `__` (`__model`, `__search`): not read as components. */
function isCommentedOut(key: string): boolean {
  return key.startsWith('__');
}

/** Every component in the tree (including ones nested in args), in document order; `__key` blocks are skipped. */
export function collectComponents(config: unknown, opts: WalkOptions): ComponentNode[] {
  const out: ComponentNode[] = [];
  const visit = (v: unknown, path: string, section: string, slot: string | undefined) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, joinPath(path, i), section, slot));
      return;
    }
    if (!isPlainObject(v)) return;
    if (isComponent(v)) {
      const kind: ComponentKind | undefined = slot ? kindOfSlot(slot, opts.automl ? 'automl' : section) : undefined;
      const node = parseComponent(v, path, opts.file, kind);
      out.push(node);
      if (isPlainObject(v.args)) for (const [k, a] of Object.entries(v.args)) visit(a, joinPath(joinPath(path, 'args'), k), section, k);
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      if (k === 'search' || isCommentedOut(k)) continue;
      visit(x, joinPath(path, k), path === '' ? k : section, k);
    }
  };
  visit(config, '', '', undefined);
  return out;
}

/** 3.x `ref` lookup: alias first, then name; the first definition wins (refs themselves are skipped). */
export function componentIndex(nodes: ComponentNode[]): Map<string, ComponentNode> {
  const idx = new Map<string, ComponentNode>();
  for (const n of nodes) if (!n.ref && n.alias && !idx.has(n.alias)) idx.set(n.alias, n);
  for (const n of nodes) if (!n.ref && n.name && !idx.has(n.name)) idx.set(n.name, n);
  return idx;
}

export interface Block {
  /** The block's JSON value (a component, a list of components, or data). */
  value: unknown;
  path: string;
}

/** The `section.key` block (e.g. `train.loss`, `validate.metrics`), or undefined. */
function findBlock(config: Record<string, unknown>, section: string, key: string): Block | undefined {
  const s = config[section];
  if (!isPlainObject(s) || !(key in s)) return undefined;
  return { value: s[key], path: joinPath(joinPath('', section), key) };
}

/** Clara's layout version: 4 when it has `train.trainer` or `CLARA_TRAIN_VERSION` 4.x, else 3. */
export function claraLayout(config: Record<string, unknown>): 3 | 4 {
  const v = config.CLARA_TRAIN_VERSION;
  if (typeof v === 'string' && /^4/.test(v)) return 4;
  return findBlock(config, 'train', 'trainer') ? 4 : 3;
}

/** Whether a (resolved) component is disabled: `disabled` must be a boolean by then. */
export function isDisabled(node: { disabled?: unknown; path: string }, file: string): boolean {
  const d = node.disabled;
  if (d === undefined || d === null || d === false) return false;
  if (d === true) return true;
  if (d === 'true' || d === 'false') return d === 'true';
  throw new ClaraError(`expected "disabled" to be true or false (or "{var}" naming a boolean), found ${JSON.stringify(d)}`, {
    file,
    path: `${node.path}.disabled`,
  });
}
