// Keys and values made valid for MLflow (mlflow/utils/validation.py): names may hold
// alphanumerics, '_', '-', '.', ' ', ':' and '/'; at most 250 characters; they must not
// normalise to another path ('a//b', './a', '../a', '/a'). Param values are cut at 6000
// characters, tag values at 8000.

export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;

/** A valid MLflow param/metric/tag key for `key` (invalid characters become '_'). */
export function mlflowKey(key: string): string {
  let k = key.replace(/[^\p{L}\p{N}_\-. :/]/gu, '_');
  // Path-like normalisation must be the identity: no empty, '.' or '..' segments, no leading '/'.
  k = k
    .split('/')
    .filter((seg) => seg.length > 0)
    .map((seg) => (seg === '.' || seg === '..' ? seg.replace(/\./g, '_') : seg))
    .join('/');
  if (k.length === 0) k = '_';
  if (k.length > MAX_KEY_LENGTH) k = k.slice(0, MAX_KEY_LENGTH).replace(/\/+$/, '');
  return k;
}

/** A param value as MLflow stores it: a string of at most 6000 characters. */
export function paramValue(v: string | number | boolean): string {
  const s = typeof v === 'number' ? numberText(v) : String(v);
  return s.length > MAX_PARAM_VALUE_LENGTH ? s.slice(0, MAX_PARAM_VALUE_LENGTH) : s;
}

export function tagValue(v: string): string {
  return v.length > MAX_TAG_VALUE_LENGTH ? v.slice(0, MAX_TAG_VALUE_LENGTH) : v;
}

function numberText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** Makes every key of a record valid; when two keys collide the later one gets a suffix. */
export function mlflowKeys<V>(rec: Record<string, V>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of Object.entries(rec)) {
    let key = mlflowKey(k);
    for (let i = 2; key in out; i++) key = mlflowKey(`${mlflowKey(k).slice(0, MAX_KEY_LENGTH - 4)}_${i}`);
    out[key] = v;
  }
  return out;
}
