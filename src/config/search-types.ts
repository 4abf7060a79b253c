// The search space a train config declares (Clara's `search` entries).

export type SearchDomain = 'lr' | 'net' | 'transform' | string;
export type SearchType = 'float' | 'enum' | 'int' | 'bool';

/** What one arg of a search entry sets. */
export interface SearchTarget {
  /** `var`: a top-level variable (`learning_rate`, `use_amp`, an `@disabled` variable);
   *  `arg`: an argument of a component (`prob#myProb`, `gamma`). */
  kind: 'var' | 'arg' | 'disabled';
  /** Variable name, or the component argument name. */
  name: string;
  /** For `arg` and `disabled`: the JSON path of the component. */
  componentPath?: string;
  /** For `#alias` args: the alias other components `apply` from. */
  alias?: string;
  /** Components whose `apply` takes this value: `{componentPath, arg}` (arg `@disabled` for switches). */
  appliedTo?: { componentPath: string; arg: string }[];
  /** For `var`: JSON paths of the strings that use `{name}`. */
  usedAt?: string[];
}

export interface SearchItem {
  /** Clara-style key: `domain.type.path$index:arg`, e.g. `lr.float.train.lr_policy$0:poly_power`. */
  key: string;
  domain: SearchDomain;
  type: SearchType;
  /** The args as written in the config. */
  args: string[];
  targets: SearchTarget[];
  /** float/int: [min, max]; enum: list of choices, each a list with one value per arg. */
  range?: [number, number];
  choices?: unknown[][];
  /** float: sample on a log scale. */
  log?: boolean;
  /** JSON path of the search entry. */
  path: string;
  /** Variables this item's `@disabled` args switch → JSON paths of the components they disable. */
  switches?: Record<string, string[]>;
  /** The value each arg had in the config when the space was read (undefined where it had none). */
  current?: unknown[];
}

export interface SearchSpace {
  items: SearchItem[];
}

/** One concrete value per search key (float → number, enum → index of the chosen choice). */
export type ConcreteValues = Record<string, number | boolean | string | unknown[]>;
