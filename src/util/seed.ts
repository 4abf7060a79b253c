// The process-wide seed stream of a run (`determinism.random_seed`). Components that
// need a seed and were given none (weight initialisers, shuffles) draw one here, so a
// run with the same seed builds the same network and draws the same samples.
import { Rng } from './random.js';

const DEFAULT_SEED = 0;
let stream = new Rng(DEFAULT_SEED);

/** Restarts the stream from `seed`. */
export function setGlobalSeed(seed: number): void {
  stream = new Rng(seed);
}

/** The next 31-bit seed of the stream (non-negative, fits tfjs's `seed` arguments). */
export function nextSeed(): number {
  return stream.nextUint32() >>> 1;
}
