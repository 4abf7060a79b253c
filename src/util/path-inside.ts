// Path containment, the one rule for "is this path in that folder".
import { isAbsolute, relative, sep } from 'node:path';

/** True when `p` is `root` or inside it (both absolute; resolve symlinks first where they matter). */
export function isInside(p: string, root: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}
