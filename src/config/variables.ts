// `{VAR}` substitution. Variables come, in rising precedence, from the config's top-level
// scalars, environment.json and `--set K=V`. `"{VAR}"` as a whole string keeps the variable's
// JSON type (numbers and booleans stay typed); inside a longer string it is interpolated.
import { ClaraError, closestNames, joinPath } from '../util/errors.js';
import { isPlainObject } from '../util/json-file.js';

export type VariableSource = 'config' | 'environment' | 'set' | 'builtin' | 'search-default';

export interface Variable {
  value: unknown;
  source: VariableSource;
  /** The file that defined it (config, environment.json) or `--set`. */
  file?: string;
}

/** Name → value with where it came from. Later layers override earlier ones. */
export class Variables {
  private readonly vars = new Map<string, Variable>();

  set(name: string, v: Variable): void {
    this.vars.set(name, v);
  }

  /** Adds every entry of `values` from one source (overriding what is there). */
  layer(values: Record<string, unknown>, source: VariableSource, file?: string): this {
    for (const [k, value] of Object.entries(values)) this.vars.set(k, { value, source, file });
    return this;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  get(name: string): Variable | undefined {
    return this.vars.get(name);
  }

  value(name: string): unknown {
    return this.vars.get(name)?.value;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  entries(): [string, Variable][] {
    return [...this.vars.entries()];
  }

  /** Plain name → value object. */
  toObject(): Record<string, unknown> {
    return Object.fromEntries([...this.vars.entries()].map(([k, v]) => [k, v.value]));
  }

  clone(): Variables {
    const c = new Variables();
    for (const [k, v] of this.vars) c.set(k, { ...v });
    return c;
  }
}

/** The top-level scalars (string, number, boolean, null) of a config: its variables. */
export function topLevelScalars(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

const WHOLE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const INNER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** True when the string holds at least one `{VAR}`. */
function hasVariable(s: string): boolean {
  INNER.lastIndex = 0;
  return INNER.test(s);
}

/** The variable a whole-string `"{VAR}"` names, or undefined. */
function wholeVariable(s: string): string | undefined {
  return WHOLE.exec(s)?.[1];
}

export interface SubstituteOptions {
  file: string;
  /** Keys whose values are left as written (e.g. `search`). */
  skipKeys?: string[];
  /** Names left as written (`{mmar}`) when no layer defines them: placeholders filled later. */
  keep?: readonly string[];
  /** Resolve variables whose values themselves hold `{VAR}` (default true). */
  recursive?: boolean;
}

/** Replaces `{VAR}` in one string; `path` names where it sits (for errors). */
function substituteString(s: string, vars: Variables, path: string, opts: SubstituteOptions, seen: string[] = []): unknown {
  const lookup = (name: string): unknown => {
    if (!vars.has(name) && opts.keep?.includes(name)) return `{${name}}`;
    if (!vars.has(name)) {
      const close = closestNames(name, vars.names());
      throw new ClaraError(
        `unknown variable '{${name}}'` +
          (close.length ? `; closest defined: ${close.join(', ')}` : '') +
          ' (define it at the config top level, in environment.json or with --set)',
        { file: opts.file, path },
      );
    }
    if (seen.includes(name)) throw new ClaraError(`variable cycle: ${[...seen, name].join(' → ')}`, { file: opts.file, path });
    const v = vars.value(name);
    if (typeof v === 'string' && opts.recursive !== false && hasVariable(v)) return substituteString(v, vars, path, opts, [...seen, name]);
    return v;
  };
  const whole = wholeVariable(s);
  if (whole) return lookup(whole);
  INNER.lastIndex = 0;
  if (!INNER.test(s)) return s;
  return s.replace(INNER, (_m, name: string) => {
    const v = lookup(name);
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/** A copy of `tree` with every `{VAR}` replaced. */
export function substituteTree(tree: unknown, vars: Variables, opts: SubstituteOptions, path = ''): unknown {
  if (typeof tree === 'string') return substituteString(tree, vars, path, opts);
  if (Array.isArray(tree)) return tree.map((v, i) => substituteTree(v, vars, opts, joinPath(path, i)));
  if (isPlainObject(tree)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(tree)) {
      out[k] = opts.skipKeys?.includes(k) ? v : substituteTree(v, vars, opts, joinPath(path, k));
    }
    return out;
  }
  return tree;
}
