// log-batch chunking to the server's limits (mlflow/utils/validation.py): at most 1000
// metrics, 100 params, 100 tags, 1000 entities in all, and 1 MB of JSON per call.
import { encodeDouble } from './values.js';

export const LIMITS = { metrics: 1000, params: 100, tags: 100, entities: 1000, bytes: 1_000_000 } as const;

export interface WireMetric {
  key: string;
  value: number;
  step: number;
  timestamp: number;
}
export interface KeyValue {
  key: string;
  value: string;
}
export interface Batch {
  metrics: WireMetric[];
  params: KeyValue[];
  tags: KeyValue[];
}

function entitySize(x: WireMetric | KeyValue): number {
  if (typeof x.value === 'number') {
    const m = x as WireMetric;
    return JSON.stringify({ key: m.key, value: encodeDouble(m.value), step: m.step, timestamp: m.timestamp }).length + 1;
  }
  return JSON.stringify(x).length + 1;
}

/** Splits a batch into calls that each respect every limit (order kept within each kind). */
export function chunkBatch(b: Batch, limits: { [K in keyof typeof LIMITS]: number } = LIMITS): Batch[] {
  const out: Batch[] = [];
  const overhead = 100; // run_id and the JSON frame
  let cur: Batch = { metrics: [], params: [], tags: [] };
  let bytes = overhead;
  const count = () => cur.metrics.length + cur.params.length + cur.tags.length;
  const push = (kind: keyof Batch, x: WireMetric | KeyValue) => {
    const size = entitySize(x);
    const full =
      count() >= limits.entities ||
      (kind === 'metrics' && cur.metrics.length >= limits.metrics) ||
      (kind === 'params' && cur.params.length >= limits.params) ||
      (kind === 'tags' && cur.tags.length >= limits.tags) ||
      (bytes + size > limits.bytes && count() > 0);
    if (full) {
      out.push(cur);
      cur = { metrics: [], params: [], tags: [] };
      bytes = overhead;
    }
    (cur[kind] as (WireMetric | KeyValue)[]).push(x);
    bytes += size;
  };
  // Params first: they are write-once and the smallest; tags; then metrics.
  for (const p of b.params) push('params', p);
  for (const t of b.tags) push('tags', t);
  for (const m of b.metrics) push('metrics', m);
  if (count() > 0) out.push(cur);
  return out;
}
