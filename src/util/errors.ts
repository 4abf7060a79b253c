// Errors a user can act on: they name the file, the JSON path or field, and what was expected.

export interface ErrorPlace {
  /** The file the problem is in. */
  file?: string;
  /** JSON path inside the file, e.g. `train.loss[1].args.gamma`. */
  path?: string;
}

export class ClaraError extends Error {
  readonly file?: string;
  readonly jsonPath?: string;
  constructor(message: string, place: ErrorPlace = {}) {
    const where = [place.file, place.path].filter(Boolean).join(': ');
    super(where ? `${where}: ${message}` : message);
    this.name = 'ClaraError';
    this.file = place.file;
    this.jsonPath = place.path;
  }
}

/** Appends `.key` or `[i]` to a JSON path. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!/^[A-Za-z_$][\w$#@-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const m = a.length,
    n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[n];
}

/** The known names closest to `name` (case-insensitive), best first. */
export function closestNames(name: string, known: Iterable<string>, max = 3): string[] {
  const lower = name.toLowerCase();
  return [...known]
    .map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) - (k.toLowerCase().includes(lower) || lower.includes(k.toLowerCase()) ? 2 : 0) }))
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k))
    .slice(0, max)
    .map((x) => x.k);
}
