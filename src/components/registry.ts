// Component registry: Clara/MONAI names (3.x and 4.x aliases of one implementation)
// → factories. Areas register their own components (transforms/register.ts,
// losses/register.ts, ...); config only knows the registry, never the areas.
import { ClaraError, closestNames } from '../util/errors.js';

export type ComponentKind =
  | 'transform'
  | 'model'
  | 'loss'
  | 'optimizer'
  | 'lr_policy'
  | 'metric'
  | 'inferer'
  | 'dataset'
  | 'dataloader'
  | 'image_pipeline'
  | 'handler'
  | 'trainer'
  | 'evaluator'
  | 'aux_op'
  | 'controller'
  | 'executor'
  | 'automl_handler'
  | 'pruner'
  | 'scheduler';

/** What a factory receives besides its args. */
export interface BuildContext {
  /** File the component came from (for errors). */
  file: string;
  /** JSON path of the component (for errors), e.g. `train.loss[1]`. */
  path: string;
  /** The MMAR root, when known. */
  mmarRoot?: string;
  /** Resolves an `@name` reference to an already built component. */
  resolveRef?: (name: string) => unknown;
  /** The component's name as written (without `#alias`) and its alias. */
  name?: string;
  alias?: string;
  /** Fields of the component besides name/path/args/disabled/apply/search (4.x `data_list_key`, `log_label`, `rank` ...), resolved. */
  extra?: Record<string, unknown>;
  /** What the workflow that builds the kind hands each of its components (an AutoML executor's job setup: automl/executors/env.ts). */
  env?: Readonly<Record<string, unknown>>;
}

export type Factory = (args: Record<string, unknown>, ctx: BuildContext) => unknown;

export interface ComponentSpec {
  /** The primary name first, then aliases (3.x and 4.x names). */
  names: string[];
  kind: ComponentKind;
  factory: Factory;
  /** Argument names it accepts; others are errors naming the JSON path. Omit to accept any. */
  args?: string[];
  /** One line for `config check`. */
  description?: string;
  /**
   * Checks the arg values without building anything (no I/O, no runtime context); `config
   * check` runs it, and the factory runs the same checks, so both report the same error.
   */
  check?: (args: Record<string, unknown>, place: { file: string; path: string }) => void;
}

export class ComponentRegistry {
  /** A name may stand for one component of each kind (`StatsHandler`: a train handler and an AutoML handler). */
  private readonly byName = new Map<string, ComponentSpec[]>();

  register(spec: ComponentSpec): void {
    for (const n of spec.names) {
      const specs = this.byName.get(n) ?? [];
      const prev = specs.find((s) => s.kind === spec.kind);
      if (prev && prev !== spec) throw new Error(`component name '${n}' registered twice (${prev.kind})`);
      if (!prev) this.byName.set(n, [...specs, spec]);
    }
  }

  has(name: string, kind?: ComponentKind): boolean {
    return kind ? this.get(name, kind)?.kind === kind : this.byName.has(name);
  }

  /** The spec of `name`: of kind `kind` where the name has one, else the first registered. */
  get(name: string, kind?: ComponentKind): ComponentSpec | undefined {
    const specs = this.byName.get(name);
    return specs?.find((s) => s.kind === kind) ?? specs?.[0];
  }

  names(kind?: ComponentKind): string[] {
    return [...this.byName.entries()]
      .filter(([, s]) => !kind || s.some((x) => x.kind === kind))
      .map(([n]) => n)
      .sort();
  }

  /** The spec for `name`, or a ClaraError naming the file, JSON path and the closest known names. */
  require(name: string, place: { file: string; path: string }, kind?: ComponentKind): ComponentSpec {
    const spec = this.get(name, kind);
    if (spec && (!kind || spec.kind === kind)) return spec;
    const known = this.names(kind);
    const close = closestNames(name, known);
    throw new ClaraError(`unknown ${kind ?? 'component'} '${name}'` + (close.length ? `; closest known: ${close.join(', ')}` : ''), place);
  }

  /** Checks args against the spec's accepted names. */
  checkArgs(spec: ComponentSpec, args: Record<string, unknown>, place: { file: string; path: string }): void {
    if (!spec.args) return;
    for (const k of Object.keys(args)) {
      if (!spec.args.includes(k)) {
        const close = closestNames(k, spec.args);
        throw new ClaraError(`${spec.names[0]} has no argument '${k}'; it accepts ${spec.args.join(', ')}` + (close.length ? ` (closest: ${close[0]})` : ''), {
          file: place.file,
          path: `${place.path}.args.${k}`,
        });
      }
    }
  }
}

/** The process-wide registry the built-in components register into. */
export const registry = new ComponentRegistry();
