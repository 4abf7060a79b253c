// GPU ids a local worker may name: on a machine with the NVIDIA driver, the GPUs it lists.
// (Without the driver nothing is known locally: cluster executors place GPUs elsewhere.)
import { existsSync, readdirSync } from 'node:fs';
import { ClaraError, type ErrorPlace } from '../util/errors.js';
import type { Worker } from './types.js';

export function localGpuCount(dir = '/proc/driver/nvidia/gpus'): number | null {
  try {
    return existsSync(dir) ? readdirSync(dir).length : null;
  } catch {
    return null;
  }
}

export function checkLocalGpus(workers: Worker[], count: number | null, place: ErrorPlace): void {
  if (count === null) return;
  for (const w of workers) {
    for (const g of w.gpus) {
      if (Number(g) >= count) {
        throw new ClaraError(`worker ${w.id}: GPU ${g} does not exist on this machine (it has ${count} GPU(s)${count ? `: 0..${count - 1}` : ''})`, place);
      }
    }
  }
}
