// Clara's `--set K=V` overrides: several K=V per --set (separate arguments, or one argument
// with space-separated pairs); values are parsed as JSON where they parse, else kept as strings.
import { ClaraError } from '../util/errors.js';

/** Parses one value: JSON where it parses (`1e-3`, `true`, `[1,2]`, `"s"`), else the string. */
export function parseOverrideValue(v: string): unknown {
  const t = v.trim();
  if (t === '') return '';
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

/** Splits `--set` items into K=V pairs (an item may hold several, space-separated). */
function splitOverrideItems(items: string[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    const parts = item.trim().split(/\s+(?=[A-Za-z_][\w.-]*=)/);
    for (const p of parts) if (p.trim() !== '') out.push(p.trim());
  }
  return out;
}

/** `["a=1", "b=x c=true"]` → `{a: 1, b: "x", c: true}`. Errors name the bad item. */
export function parseSetOverrides(items: string[] | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(setOverrideTexts(items)).map(([k, v]) => [k, parseOverrideValue(v)]));
}

/** The same pairs with each value as written (`automl`'s run_id, workers, trainconf are text). */
export function setOverrideTexts(items: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of splitOverrideItems(items ?? [])) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw new ClaraError(`'${pair}': expected KEY=VALUE (e.g. --set learning_rate=1e-4 epochs=10)`, { file: '--set' });
    const key = pair.slice(0, eq).trim();
    if (!/^[A-Za-z_][\w.-]*$/.test(key)) {
      throw new ClaraError(`'${pair}': '${key}' is not a variable name (letters, digits, _ . -; not starting with a digit)`, { file: '--set' });
    }
    out[key] = pair.slice(eq + 1);
  }
  return out;
}
