// One component of a Clara config: `{"name": "Builtin#alias", "path": "module.Export", "args": {},
// "disabled": b, "apply": {...}, "search": [...]}` or `{"ref": "alias"}` (3.x reuse).
import { ClaraError } from '../util/errors.js';
import type { ComponentKind } from './registry.js';
import { isPlainObject } from '../util/json-file.js';

/** Keys that belong to the component notation itself (everything else is an extra field). */
const COMPONENT_KEYS = ['name', 'path', 'args', 'disabled', 'apply', 'search', 'ref'];

/** True for an object that is a component: it has a string `name`, `path` or `ref`. */
export function isComponent(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && (typeof v.name === 'string' || typeof v.path === 'string' || typeof v.ref === 'string');
}

export interface ComponentNode {
  /** JSON path of the component, e.g. `train.loss[1]`. */
  path: string;
  /** The name without `#alias` (for BYOC, the export name when no name is given). */
  name: string;
  alias?: string;
  /** BYOC `module.Export`. */
  byoc?: string;
  /** 3.x `ref`: reuse the component named or aliased so. */
  ref?: string;
  args: Record<string, unknown>;
  /** As written: boolean, `"{var}"`, or absent. */
  disabled?: unknown;
  apply?: Record<string, unknown>;
  search?: unknown[];
  /** Other fields (4.x `rank`, `log_label`, dataset's `data_list_key` ...). */
  extra: Record<string, unknown>;
  /** The kind its place in the tree suggests (`train.loss` → loss). */
  slotKind?: ComponentKind;
  raw: Record<string, unknown>;
}

/** Splits `Name#alias`. */
function splitAlias(s: string): { name: string; alias?: string } {
  const i = s.indexOf('#');
  if (i < 0) return { name: s };
  return { name: s.slice(0, i), alias: s.slice(i + 1) || undefined };
}

/** Reads a component object; shapes that are wrong are ClaraErrors naming the path. */
export function parseComponent(raw: Record<string, unknown>, path: string, file: string, slotKind?: ComponentKind): ComponentNode {
  const place = (k: string) => ({ file, path: `${path}.${k}` });
  if (raw.args !== undefined && !isPlainObject(raw.args)) throw new ClaraError('expected "args" to be an object', place('args'));
  if (raw.apply !== undefined && !isPlainObject(raw.apply))
    throw new ClaraError('expected "apply" to be an object such as {"@disabled": "var"} or {"prob": "alias"}', place('apply'));
  if (raw.search !== undefined && !Array.isArray(raw.search)) throw new ClaraError('expected "search" to be a list of search entries', place('search'));
  if (raw.path !== undefined && (typeof raw.path !== 'string' || !/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/.test(raw.path))) {
    throw new ClaraError(`expected "path" to be "module.Export" (e.g. "myModels.MyNet"), found ${JSON.stringify(raw.path)}`, place('path'));
  }
  if (raw.ref !== undefined && (typeof raw.ref !== 'string' || raw.ref === ''))
    throw new ClaraError('expected "ref" to be a component name or alias', place('ref'));
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!COMPONENT_KEYS.includes(k)) extra[k] = v;
  const byoc = typeof raw.path === 'string' ? raw.path : undefined;
  let name = '';
  let alias: string | undefined;
  if (typeof raw.name === 'string') ({ name, alias } = splitAlias(raw.name));
  else if (byoc) name = byoc.slice(byoc.lastIndexOf('.') + 1);
  return {
    path,
    name,
    alias,
    byoc,
    ref: typeof raw.ref === 'string' ? raw.ref : undefined,
    args: (raw.args as Record<string, unknown> | undefined) ?? {},
    disabled: raw.disabled,
    apply: raw.apply as Record<string, unknown> | undefined,
    search: raw.search as unknown[] | undefined,
    extra,
    slotKind,
    raw,
  };
}

/** Which component kind a block key stands for (3.x and 4.x layouts). */
export function kindOfSlot(key: string, section: string): ComponentKind | undefined {
  if (section === 'automl') {
    if (key === 'handlers') return 'automl_handler';
    if (key === 'controller') return 'controller';
    if (key === 'executor') return 'executor';
    if (key === 'pruner') return 'pruner';
    return undefined;
  }
  const map: Record<string, ComponentKind> = {
    model: 'model',
    loss: 'loss',
    optimizer: 'optimizer',
    lr_policy: 'lr_policy',
    lr_scheduler: 'lr_policy',
    pre_transforms: 'transform',
    post_transforms: 'transform',
    transforms: 'transform',
    aux_ops: 'aux_op',
    metrics: 'metric',
    key_metric: 'metric',
    additional_metrics: 'metric',
    inferer: 'inferer',
    image_pipeline: 'image_pipeline',
    dataset: 'dataset',
    dataloader: 'dataloader',
    handlers: 'handler',
    trainer: 'trainer',
    evaluator: 'evaluator',
    controller: 'controller',
    executor: 'executor',
  };
  return map[key];
}
