// The training size of a job's concrete train config and the out-of-memory back-off over
// it: first the batch is halved (down to 1), then the training patch shrinks (×0.75 per
// dimension, a multiple of 8, at least 8). Batch sites: train.dataloader.args.batch_size
// (Clara 4.x) and train.image_pipeline.args.output_batch_size (3.x); patch sites: the
// spatial_size / roi_size / size of the train pre_transforms whose name holds "Crop", and
// the 3.x image pipeline's output_crop_size. A value may be a "{VAR}" reference (resolved
// from environment.json, then the config's top level); a changed value is written as a
// literal in place of the reference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fidelity } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

interface Site {
  holder: Obj;
  key: string;
}

function sites(config: unknown): { batch: Site[]; patch: Site[] } {
  const out = { batch: [] as Site[], patch: [] as Site[] };
  const train = isObj(config) ? config.train : undefined;
  if (!isObj(train)) return out;
  const dl = isObj(train.dataloader) && isObj(train.dataloader.args) ? train.dataloader.args : undefined;
  if (dl && 'batch_size' in dl) out.batch.push({ holder: dl, key: 'batch_size' });
  const ip = isObj(train.image_pipeline) && isObj(train.image_pipeline.args) ? train.image_pipeline.args : undefined;
  if (ip && 'output_batch_size' in ip) out.batch.push({ holder: ip, key: 'output_batch_size' });
  if (ip && 'output_crop_size' in ip) out.patch.push({ holder: ip, key: 'output_crop_size' });
  for (const t of Array.isArray(train.pre_transforms) ? train.pre_transforms : []) {
    if (!isObj(t) || typeof t.name !== 'string' || !/crop/i.test(t.name) || !isObj(t.args) || t.disabled === true) continue;
    for (const key of ['spatial_size', 'roi_size', 'size']) if (key in t.args) out.patch.push({ holder: t.args, key });
  }
  return out;
}

/** The value at a site, a "{VAR}" reference resolved through `vars`. */
function valueAt(s: Site, config: Obj, vars: Obj): unknown {
  const v = s.holder[s.key];
  const m = typeof v === 'string' ? /^\{(\w+)\}$/.exec(v) : null;
  if (!m) return v;
  return vars[m[1]] ?? config[m[1]];
}

const asInt = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
};
const asDims = (v: unknown): number[] | undefined => {
  if (typeof v === 'number' || typeof v === 'string') {
    const n = asInt(v);
    return n ? [n] : undefined;
  }
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const d = v.map(asInt);
  return d.every((x) => x !== undefined) ? (d as number[]) : undefined;
};

/** The batch size and training patch of a concrete train config (`vars`: environment.json's variables). */
export function readFidelity(config: unknown, vars: Obj = {}): Fidelity {
  if (!isObj(config)) return {};
  const s = sites(config);
  const batch = s.batch.map((x) => asInt(valueAt(x, config, vars))).find((x) => x !== undefined);
  const patch = s.patch.map((x) => asDims(valueAt(x, config, vars))).find((x) => x !== undefined);
  return { ...(batch !== undefined ? { batchSize: batch } : {}), ...(patch ? { patch } : {}) };
}

const shrink = (d: number): number => Math.max(8, Math.floor((d * 0.75) / 8) * 8);

/** The next smaller size after an out-of-memory failure, or undefined when nothing can shrink. */
export function nextFidelity(cur: Fidelity): { next: Fidelity; change: string } | undefined {
  if (cur.batchSize !== undefined && cur.batchSize > 1) {
    const b = Math.floor(cur.batchSize / 2);
    return { next: { ...cur, batchSize: b }, change: `batch ${cur.batchSize} → ${b}` };
  }
  if (cur.patch) {
    const p = cur.patch.map(shrink);
    if (p.some((x, i) => x < cur.patch![i])) return { next: { ...cur, patch: p }, change: `patch ${cur.patch.join('x')} → ${p.join('x')}` };
  }
  return undefined;
}

/** Writes the fidelity's batch size and patch into every site of the config (in place). */
export function applyFidelity(config: unknown, f: Fidelity): void {
  if (!isObj(config)) return;
  const s = sites(config);
  if (f.batchSize !== undefined) for (const x of s.batch) x.holder[x.key] = f.batchSize;
  if (f.patch) {
    for (const x of s.patch) {
      const old = x.holder[x.key];
      // a scalar size stays a scalar; a list keeps its length
      x.holder[x.key] = Array.isArray(old) ? old.map((_, i) => f.patch![Math.min(i, f.patch!.length - 1)]) : f.patch[0];
    }
  }
}

/** "batch 2, patch 32x32x32" */
export function describeFidelity(f: Fidelity): string {
  return [f.batchSize !== undefined ? `batch ${f.batchSize}` : '', f.patch ? `patch ${f.patch.join('x')}` : ''].filter(Boolean).join(', ');
}

/** The batch size and patch of a job folder's concrete config/config_train.json (its environment.json's variables resolved). */
export function jobFidelity(jobRoot: string): Fidelity {
  const read = (f: string): unknown => {
    try {
      return JSON.parse(readFileSync(join(jobRoot, 'config', f), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const env = read('environment.json');
  return readFidelity(read('config_train.json'), isObj(env) ? env : {});
}
