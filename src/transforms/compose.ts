// Compose: runs transforms in order; multi-sample results (lists) flow through the
// rest one by one. Seeds its children from its own seed; run(sample, rng) gives every
// child a stream derived from `rng`, so a sample's result depends only on that seed,
// never on what ran concurrently.
import { Rng } from '../util/random.js';
import { isRandomizable, Transform, type TransformResult } from './base.js';
import type { Sample } from './types.js';

export class Compose extends Transform {
  readonly name = 'Compose';
  override readonly random: boolean;
  private rng: Rng;

  constructor(
    readonly transforms: Transform[],
    seed = 0,
  ) {
    super();
    this.random = transforms.some((t) => t.random);
    this.rng = new Rng(seed);
    this.setRandomState(seed);
  }

  setRandomState(seed: number): void {
    this.rng = new Rng(seed);
    const seeder = new Rng(seed);
    for (const t of this.transforms) if (isRandomizable(t)) t.setRandomState(seeder.nextSeed());
  }

  /** Index of the first random transform (MONAI: the cacheable prefix ends there). */
  firstRandomIndex(): number {
    const i = this.transforms.findIndex((t) => t.random);
    return i < 0 ? this.transforms.length : i;
  }

  /** Runs transforms [start, end) on a sample (or on each of a list). */
  async applyRange(input: Sample | Sample[], start: number, end: number, rng?: Rng): Promise<TransformResult> {
    const base = rng ?? this.rng;
    let items: Sample[] = Array.isArray(input) ? input : [input];
    let multi = Array.isArray(input);
    for (let t = start; t < end; t++) {
      const tr = this.transforms[t];
      // Draw every item's stream before awaiting: the result never depends on timing.
      const streams = items.map(() => new Rng(base.nextSeed()));
      const next: Sample[] = [];
      for (let i = 0; i < items.length; i++) {
        const r = await tr.apply(items[i], streams[i]);
        if (Array.isArray(r)) {
          next.push(...r);
          multi = true;
        } else next.push(r);
      }
      items = next;
    }
    return multi ? items : items[0];
  }

  apply(sample: Sample, rng?: Rng): Promise<TransformResult> {
    return this.applyRange(sample, 0, this.transforms.length, rng);
  }
}
