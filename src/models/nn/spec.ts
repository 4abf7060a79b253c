// MONAI-style layer specs: "PRELU", ["group", {"num_groups": 4}] or null.
export interface LayerSpec {
  name: string;
  args: Record<string, unknown>;
}

export function parseSpec(v: unknown, what: string): LayerSpec | null {
  if (v === null || v === undefined || v === false) return null;
  if (typeof v === 'string') return { name: v.toLowerCase(), args: {} };
  if (Array.isArray(v) && typeof v[0] === 'string' && v.length <= 2) {
    const args = v[1] ?? {};
    if (typeof args !== 'object' || Array.isArray(args)) throw new Error(`${what}: the second element must be an object of arguments`);
    return { name: v[0].toLowerCase(), args: args as Record<string, unknown> };
  }
  if (typeof v === 'object' && !Array.isArray(v) && typeof (v as { name?: unknown }).name === 'string') {
    const { name, ...args } = v as { name: string };
    return { name: name.toLowerCase(), args };
  }
  throw new Error(`${what}: expected a name like "batch" or ["group", {"num_groups": 4}], got ${JSON.stringify(v)}`);
}

export function numArg(args: Record<string, unknown>, key: string, dflt: number, what: string): number {
  const v = args[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}
