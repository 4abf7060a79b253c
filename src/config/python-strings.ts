// Python-only strings of Clara 4.x configs, mapped where the meaning is known:
//   "#@model.parameters()"                         → { py: 'params', of: 'model' } (the model's trainable weights)
//   "#monai.handlers.from_engine(['loss'], first=True)" → { py: 'from_engine', keys: ['loss'], first: true }
//   "lambda x: None"                                → { py: 'none' } (output nothing)
// Any other "#..." or "lambda ..." string is refused with its JSON path.
import { ClaraError } from '../util/errors.js';

export type PyMapped = { py: 'params'; of: string } | { py: 'from_engine'; keys: string[]; first: boolean } | { py: 'none' };

/** True for strings that are Python expressions in a Clara config. */
export function isPythonString(s: string): boolean {
  return s.startsWith('#') || /^\s*lambda\b/.test(s);
}

/** Maps a Python-only string, or returns an error message saying why it cannot be. */
export function mapPythonString(s: string): PyMapped | { error: string } {
  const t = s.trim();
  let m = /^#@([A-Za-z_]\w*)\.parameters\(\s*\)$/.exec(t);
  if (m) return { py: 'params', of: m[1] };
  m = /^#(?:monai\.handlers\.(?:utils\.)?)?from_engine\(\s*\[([^\]]*)\]\s*(?:,\s*first\s*=\s*(True|False)\s*)?\)$/.exec(t);
  if (m) {
    const keys = m[1]
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '')
      .map((k) => {
        const q = /^(['"])(.*)\1$/.exec(k);
        return q ? q[2] : undefined;
      });
    if (keys.some((k) => k === undefined)) return { error: `from_engine keys must be quoted strings: ${s}` };
    return { py: 'from_engine', keys: keys as string[], first: m[2] === 'True' };
  }
  if (/^lambda\s+\w+\s*:\s*None$/.test(t)) return { py: 'none' };
  return {
    error: `Python expression ${JSON.stringify(s)} has no TypeScript equivalent here (known: "#@model.parameters()", "#monai.handlers.from_engine([...], first=...)", "lambda x: None")`,
  };
}

/** Maps a Python-only string or throws a ClaraError naming the JSON path. */
export function requirePythonString(s: string, place: { file: string; path: string }): PyMapped {
  const r = mapPythonString(s);
  if ('error' in r) throw new ClaraError(r.error, place);
  return r;
}

/** Extracts `keys` from an engine output (`from_engine`): one value per key, or the first's with `first`. */
export function fromEngine(keys: string[], first = false): (output: unknown) => unknown {
  return (output: unknown) => {
    const pick = (o: unknown) => keys.map((k) => (o as Record<string, unknown> | undefined)?.[k]);
    if (Array.isArray(output)) {
      const cols = keys.map((_, i) => output.map((o) => pick(o)[i]));
      return first ? cols.map((c) => c[0]) : cols;
    }
    const vals = pick(output);
    return keys.length === 1 ? vals[0] : vals;
  };
}
