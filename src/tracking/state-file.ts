// Small JSON state files of the sinks (how far each has replayed the journal).
import { existsSync } from 'node:fs';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { ClaraError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';

export function readState<T>(file: string, fallback: T): T {
  if (!existsSync(file)) return fallback;
  try {
    return readJsonFile(file) as T;
  } catch (e) {
    throw new ClaraError(`sink state: ${(e as Error).message}; delete it to resend everything`);
  }
}

export function writeState(file: string, state: unknown): void {
  writeJsonAtomic(file, state, 0);
}
