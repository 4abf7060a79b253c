// The ArrayBuffers under a transform result (tensors, meta arrays), each once, for a
// postMessage transfer list: the volumes move between threads without a copy.
export function transferList(v: unknown, out: Set<ArrayBuffer> = new Set(), depth = 0): ArrayBuffer[] {
  if (depth > 8 || v === null || typeof v !== 'object') return [...out];
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer && v.buffer.byteLength > 0) out.add(v.buffer);
  } else if (v instanceof ArrayBuffer) {
    if (v.byteLength > 0) out.add(v);
  } else if (Array.isArray(v)) {
    for (const x of v) transferList(x, out, depth + 1);
  } else {
    for (const x of Object.values(v as Record<string, unknown>)) transferList(x, out, depth + 1);
  }
  return [...out];
}
