// Runs a dataset's cacheable prefix for one item, in worker threads when the prefix can be
// rebuilt there (every transform has a recipe: built from a config), else on the main
// thread (said once in the log). Both paths seed the item stream the same way, so the
// cache is byte-identical whichever ran. CLARA_DATA_WORKERS=0 forces the main thread.
import { ClaraError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import type { TransformResult } from '../../transforms/base.js';
import type { Compose } from '../../transforms/compose.js';
import type { Sample } from '../../transforms/types.js';
import { describePrefix } from './prefix-recipe.js';
import { PrefixPool } from './prefix-pool.js';

/** 'auto': workers when possible; 'main': never; 'worker': workers or an error. */
export type PrefixThreads = 'auto' | 'main' | 'worker';

const said = new Set<string>();
function sayOnce(msg: string): void {
  if (said.has(msg)) return;
  said.add(msg);
  process.stderr.write(`clara-train: ${msg}\n`);
}

/** The file names of a data entry (for errors). */
function itemFiles(sample: Sample): string[] {
  const out: string[] = [];
  for (const v of Object.values(sample)) {
    if (typeof v === 'string' && /[./\\]/.test(v)) out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.push(x);
  }
  return out;
}

export class PrefixRunner {
  private pool: Promise<PrefixPool | undefined> | undefined;
  private closed = false;
  /** 'worker' or 'main' once decided. */
  where: 'worker' | 'main' | undefined;

  constructor(
    private readonly compose: Compose,
    private readonly opts: { workers: number; threads?: PrefixThreads; owner: string },
  ) {}

  private threads(): PrefixThreads {
    if (process.env.CLARA_DATA_WORKERS === '0') return 'main';
    return this.opts.threads ?? 'auto';
  }

  /** Opens the worker pool once (undefined: the main thread runs the prefix). */
  private open(): Promise<PrefixPool | undefined> {
    this.pool ??= (async () => {
      const end = this.compose.firstRandomIndex();
      const mode = this.threads();
      if (mode === 'main' || end === 0) {
        this.where = 'main';
        return undefined;
      }
      const d = describePrefix(this.compose, end);
      let reason: string;
      if ('recipes' in d) {
        try {
          const pool = await PrefixPool.open(d.recipes, this.opts.workers);
          if (this.closed) {
            await pool.close();
            this.where = 'main';
            return undefined;
          }
          this.where = 'worker';
          return pool;
        } catch (e) {
          reason = `a worker thread could not rebuild the transforms: ${e instanceof Error ? e.message : String(e)}`;
        }
      } else reason = d.reason;
      if (mode === 'worker') throw new ClaraError(`${this.opts.owner}: ${reason}`);
      sayOnce(`${this.opts.owner} runs its cached transforms on the main thread (${reason})`);
      this.where = 'main';
      return undefined;
    })();
    return this.pool;
  }

  /** Starts the workers now (otherwise the first prepare() does). */
  async ready(): Promise<void> {
    await this.open();
  }

  /** The prefix on one data entry, its item stream seeded by `seed`. */
  async prepare(sample: Sample, seed: number, index: number): Promise<TransformResult> {
    const pool = this.closed ? undefined : await this.open();
    const end = this.compose.firstRandomIndex();
    if (!pool) {
      try {
        return await this.compose.applyRange({ ...sample }, 0, end, new Rng(seed));
      } catch (e) {
        throw this.itemError(e, sample, index);
      }
    }
    try {
      return await pool.run({ ...sample }, seed);
    } catch (e) {
      throw this.itemError(e, sample, index);
    }
  }

  /** A ClaraError naming the item's file (the one the message names, else its first file). */
  private itemError(e: unknown, sample: Sample, index: number): Error {
    if (e instanceof ClaraError && this.where === 'main') return e;
    const files = itemFiles(sample);
    const msg = e instanceof Error ? e.message : String(e);
    const named = files.find((f) => msg.includes(f));
    const file = named ?? files[0];
    const rest = named ? [] : files.slice(1);
    return new ClaraError(
      `${this.opts.owner}: item ${index}${rest.length ? ` (with ${rest.join(', ')})` : ''}${this.where === 'worker' ? ' (in a worker thread)' : ''}: ${msg}`,
      { file },
    );
  }

  /** Keeps at most n workers (after the initial fill). */
  async shrink(n: number): Promise<void> {
    const pool = await this.pool;
    pool?.shrink(n);
  }

  /** Thread ids of the pool's workers (empty on the main-thread path). */
  async threadIds(): Promise<number[]> {
    return (await this.pool)?.threadIds ?? [];
  }

  /** Terminates the workers. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = await this.pool?.catch(() => undefined);
    await pool?.close();
  }
}
