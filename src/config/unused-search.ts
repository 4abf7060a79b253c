// A search over a top-level variable that nothing reads changes nothing: every job would
// train the same config. A variable is read when a string uses "{name}", a component's
// `apply` or `disabled` takes it, or the program reads it itself (VARIABLES_READ_DIRECTLY).
import type { SearchItem } from './search-types.js';

/** Top-level variables the training program reads by name (build-setup, mmar paths). */
const VARIABLES_READ_DIRECTLY = new Set([
  'epochs',
  'learning_rate',
  'use_amp',
  'amp',
  'num_interval_per_valid',
  'num_training_epoch_per_valid',
  'dont_load_ckpt_model',
  'MMAR_CKPT',
  'MMAR_CKPT_DIR',
  'MMAR_EVAL_OUTPUT_PATH',
  'DATASET_JSON',
  'DATA_ROOT',
]);

/** Search targets that are variables nothing reads: `{ key, name }` per target. */
export function unusedSearchVariables(items: SearchItem[]): { key: string; name: string }[] {
  const out: { key: string; name: string }[] = [];
  for (const item of items) {
    for (const t of item.targets) {
      if (t.kind !== 'var') continue;
      const used =
        (t.usedAt?.length ?? 0) > 0 || (t.appliedTo?.length ?? 0) > 0 || (item.switches?.[t.name]?.length ?? 0) > 0 || VARIABLES_READ_DIRECTLY.has(t.name);
      if (!used) out.push({ key: item.key, name: t.name });
    }
  }
  return out;
}

export function unusedSearchWarning(u: { key: string; name: string }, file: string): string {
  return (
    `warning: ${file}: search item ${u.key} varies the variable '${u.name}', which nothing in the config uses ` +
    `(no "{${u.name}}" string, apply or disabled refers to it): every job gets the same training`
  );
}
