// Numbers on the wire: MLflow's REST API is protobuf JSON, where doubles that JSON cannot
// hold are the strings "NaN", "Infinity" and "-Infinity"; int64s may come back as strings.

export function encodeDouble(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function decodeDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

export function decodeInt(v: unknown): number {
  return typeof v === 'number' ? v : Number(v ?? 0);
}
