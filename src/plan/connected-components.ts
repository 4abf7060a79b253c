// Connected components of each class of a label volume for the fingerprint: 26-connectivity
// (scipy.ndimage.label with a full 3x3x3 structure, MONAI's KeepLargestConnectedComponent
// default), counted with the addon's labelling kernel that postprocessing uses.
import { labelComponents } from '../train/inference/connected-components.js';

/** Component count per class value (> 0) present in `label` ([ni, nj, nk], C order). */
export function componentCounts(label: ArrayLike<number>, shape: readonly number[]): Map<number, number> {
  const values = new Set<number>();
  for (let i = 0; i < label.length; i++) if (label[i] > 0) values.add(label[i]);
  const counts = new Map<number, number>();
  const mask = new Uint8Array(label.length);
  for (const v of [...values].sort((a, b) => a - b)) {
    for (let i = 0; i < label.length; i++) mask[i] = label[i] === v ? 1 : 0;
    counts.set(v, labelComponents(mask, shape, 26).sizes.length);
  }
  return counts;
}
