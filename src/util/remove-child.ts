// Removes a folder that is a direct child of `parent`, given by its name (a job name read
// back from a journal, say): a name that is not one plain path segment is refused, so no
// caller can delete outside the folder it owns.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClaraError } from './errors.js';

export function removeChild(parent: string, name: string): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new ClaraError(`refusing to remove '${String(name)}': not a plain folder name inside ${parent}`);
  }
  rmSync(join(parent, name), { recursive: true, force: true });
}
