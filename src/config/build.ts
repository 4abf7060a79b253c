// Building components from a resolved config with the registry (or BYOC modules).
// Factories receive plain resolved args: `@name` references become the built components (or the
// referenced data), nested components are built, `#@model.parameters()` becomes the model's
// trainable weights, `from_engine([...])` / `lambda x: None` become PyMapped descriptors.
// Disabled components are skipped (a list leaves them out; a single slot gives undefined).
// A list under a single-component slot (`train.loss: [DiceLoss, FocalLoss]`, each switched by
// `apply: {"@disabled": var}`) is a set of alternatives: exactly one must be enabled.
// Each component is built once; references to it share the instance.
import { ClaraError, joinPath } from '../util/errors.js';
import { isPlainObject } from '../util/json-file.js';
import { getAtPath } from './json-path.js';
import { type ComponentNode, isComponent, parseComponent } from './component.js';
import { isDisabled } from './tree.js';
import { byocModuleOf, loadByoc } from './byoc.js';
import { setRecipe } from '../components/recipe.js';
import { isPythonString, requirePythonString } from './python-strings.js';
import { REF, resolveRefTarget } from './refs.js';
import { registry as sharedRegistry, type BuildContext, type ComponentRegistry, type Factory } from './registry.js';
import type { ResolvedConfig } from './resolve.js';

/** Slots that hold one component (a list there is a set of alternatives). */
const SINGLE_SLOTS = new Set([
  'model',
  'loss',
  'optimizer',
  'lr_policy',
  'lr_scheduler',
  'inferer',
  'dataset',
  'dataloader',
  'trainer',
  'evaluator',
  'key_metric',
  'image_pipeline',
  'controller',
  'executor',
]);

export interface BuilderOptions {
  registry?: ComponentRegistry;
  /** Where BYOC modules are looked up (custom/, then the root). */
  mmarRoot?: string;
}

/** The trainable weights of a built model (tfjs `trainableWeights`, or a `parameters()` method). */
export function trainableWeights(model: unknown, place: { file: string; path: string }): unknown {
  const m = model as { trainableWeights?: unknown; parameters?: () => unknown } | undefined;
  if (m && m.trainableWeights !== undefined) return m.trainableWeights;
  if (m && typeof m.parameters === 'function') return m.parameters();
  throw new ClaraError('the referenced model has no trainable weights (no trainableWeights, no parameters())', place);
}

export class ConfigBuilder {
  private readonly registry: ComponentRegistry;
  private readonly byoc = new Map<string, Factory>();
  private readonly built = new Map<string, unknown>();
  private readonly building: string[] = [];

  private constructor(
    readonly config: ResolvedConfig,
    private readonly opts: BuilderOptions,
  ) {
    this.registry = opts.registry ?? sharedRegistry;
  }

  /** A builder with every BYOC module of the config loaded (building itself is synchronous). */
  static async create(config: ResolvedConfig, opts: BuilderOptions = {}): Promise<ConfigBuilder> {
    const b = new ConfigBuilder(config, opts);
    for (const n of config.components) {
      if (n.byoc && !b.byoc.has(n.byoc) && !isDisabled(n, config.file)) {
        b.byoc.set(n.byoc, await loadByoc(n.byoc, { file: config.file, path: n.path, mmarRoot: opts.mmarRoot }));
      }
    }
    return b;
  }

  private place(path: string) {
    return { file: this.config.file, path };
  }

  /** Builds the block at `path` (`train.loss`, `validate.metrics`, `train.pre_transforms[2]` ...). */
  build(path: string): unknown {
    const value = getAtPath(this.config.json, path);
    if (value === undefined) throw new ClaraError('nothing at this path', this.place(path));
    return this.buildValue(value, path);
  }

  /** `build('section.key')` when the block exists, else undefined. */
  buildBlock(section: string, key: string): unknown {
    const path = joinPath(joinPath('', section), key);
    return getAtPath(this.config.json, path) === undefined ? undefined : this.build(path);
  }

  /** Builds a list block into the instances of its enabled components. */
  buildList(path: string): unknown[] {
    const value = getAtPath(this.config.json, path);
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new ClaraError('expected a list of components', this.place(path));
    return this.buildArray(value, path);
  }

  /** Resolves `@name` as used at `fromPath`. */
  resolveRef(name: string, fromPath: string): unknown {
    const t = resolveRefTarget(name, fromPath, this.config.json, this.config.index, this.config.file);
    if (t.path === '') return this.config.json;
    if (isComponent(t.value) && this.effectiveDisabled(parseComponent(t.value, t.path, this.config.file))) {
      throw new ClaraError(`'@${name}' refers to ${t.path}, which is disabled`, this.place(fromPath));
    }
    return this.buildValue(t.value, t.path);
  }

  private buildValue(value: unknown, path: string): unknown {
    if (isComponent(value)) {
      const node = parseComponent(value, path, this.config.file);
      return this.buildNode(node);
    }
    if (Array.isArray(value) && value.some(isComponent)) {
      const key = /\.([A-Za-z_]\w*)$/.exec(path)?.[1] ?? '';
      if (SINGLE_SLOTS.has(key)) {
        const enabled = value
          .map((v, i) => ({ v, i }))
          .filter(({ v, i }) => !isComponent(v) || !isDisabled({ disabled: v.disabled, path: joinPath(path, i) }, this.config.file));
        if (enabled.length !== 1) {
          throw new ClaraError(
            `'${key}' lists ${value.length} alternatives and ${enabled.length} of them are enabled; exactly one must be (switch them with "disabled" or apply {"@disabled": var})`,
            this.place(path),
          );
        }
        return this.buildValue(enabled[0].v, joinPath(path, enabled[0].i));
      }
      return this.buildArray(value, path);
    }
    return this.resolveArgValue(value, path);
  }

  private buildArray(value: unknown[], path: string): unknown[] {
    const out: unknown[] = [];
    value.forEach((v, i) => {
      const p = joinPath(path, i);
      if (isComponent(v)) {
        const node = parseComponent(v, p, this.config.file);
        if (this.effectiveDisabled(node)) return;
        out.push(this.buildNode(node));
      } else out.push(this.resolveArgValue(v, p));
    });
    return out;
  }

  private effectiveDisabled(node: ComponentNode): boolean {
    if (isDisabled(node, this.config.file)) return true;
    if (node.ref) {
      const target = this.config.index.get(node.ref);
      return target ? isDisabled(target, this.config.file) : false;
    }
    return false;
  }

  /** Builds one component (undefined when disabled). */
  buildNode(node: ComponentNode): unknown {
    if (node.ref) {
      const target = this.config.index.get(node.ref);
      if (!target) throw new ClaraError(`ref '${node.ref}' names no component`, this.place(`${node.path}.ref`));
      return this.buildNode(target);
    }
    if (isDisabled(node, this.config.file)) return undefined;
    if (this.built.has(node.path)) return this.built.get(node.path);
    if (this.building.includes(node.path)) {
      throw new ClaraError(`reference cycle: ${[...this.building, node.path].join(' → ')}`, this.place(node.path));
    }
    this.building.push(node.path);
    try {
      let factory: Factory;
      if (node.byoc) {
        const f = this.byoc.get(node.byoc);
        if (!f) throw new ClaraError(`BYOC "${node.byoc}" was not loaded (build with ConfigBuilder.create)`, this.place(`${node.path}.path`));
        factory = f;
      } else {
        const spec = this.registry.get(node.name, node.slotKind) ?? this.registry.require(node.name, this.place(`${node.path}.name`));
        this.registry.checkArgs(spec, node.args, this.place(node.path));
        factory = spec.factory;
      }
      const args = this.resolveArgValue(node.args, `${node.path}.args`) as Record<string, unknown>;
      const extra = this.resolveArgValue(node.extra, node.path) as Record<string, unknown>;
      const ctx: BuildContext = {
        file: this.config.file,
        path: node.path,
        mmarRoot: this.opts.mmarRoot,
        resolveRef: (name: string) => this.resolveRef(name.replace(/^@/, ''), node.path),
        name: node.name,
        alias: node.alias,
        extra,
      };
      const instance = factory(args, ctx);
      setRecipe(instance, {
        name: node.name,
        alias: node.alias,
        args,
        extra,
        byoc: node.byoc ? byocModuleOf(factory) : undefined,
        file: this.config.file,
        path: node.path,
        mmarRoot: this.opts.mmarRoot,
      });
      this.built.set(node.path, instance);
      return instance;
    } finally {
      this.building.pop();
    }
  }

  /** Resolves references, Python strings and nested components inside an argument value. */
  resolveArgValue(v: unknown, path: string): unknown {
    if (typeof v === 'string') {
      const m = REF.exec(v);
      if (m) return this.resolveRef(m[1], path);
      if (isPythonString(v)) {
        const py = requirePythonString(v, this.place(path));
        if (py.py === 'params') return trainableWeights(this.resolveRef(py.of, path), this.place(path));
        return py;
      }
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => this.resolveArgValue(x, joinPath(path, i)));
    if (isComponent(v)) return this.buildNode(parseComponent(v, path, this.config.file));
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.resolveArgValue(x, joinPath(path, k));
      return out;
    }
    return v;
  }
}

/** Builds a list block of `config` into its enabled components' instances. */
export async function buildList(config: ResolvedConfig, path: string, opts: BuilderOptions = {}): Promise<unknown[]> {
  return (await ConfigBuilder.create(config, opts)).buildList(path);
}
