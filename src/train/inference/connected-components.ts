// Connected components of class-index volumes (the addon's union-find labelling) and
// nnU-Net's postprocessing: keep only the largest 26-connected component of a class.
import { native } from '../../native/index.js';
import type { Shape3 } from '../../native/transforms.js';

type Connectivity = 6 | 18 | 26;

export interface Components {
  /** 0 outside the mask, 1..count numbered by first voxel in C order. */
  labels: Int32Array;
  /** Voxels per component (sizes[k] for label k + 1). */
  sizes: number[];
}

function checkShape(length: number, shape: readonly number[], what: string): Shape3 {
  if (shape.length !== 3 || shape.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`${what}: shape must be 3 positive integers, got [${shape}]`);
  if (shape[0] * shape[1] * shape[2] !== length)
    throw new Error(`${what}: shape [${shape}] holds ${shape[0] * shape[1] * shape[2]} voxels, the volume has ${length}`);
  return [shape[0], shape[1], shape[2]];
}

/** Labels the nonzero voxels of a binary mask. */
export function labelComponents(mask: Uint8Array, shape: readonly number[], connectivity: Connectivity = 26): Components {
  const s = checkShape(mask.length, shape, 'labelComponents');
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26)
    throw new Error(`labelComponents: connectivity must be 6, 18 or 26, got ${String(connectivity)}`);
  const labels = new Int32Array(mask.length);
  const sizes = native().components.label3d(mask, s, connectivity, labels);
  return { labels, sizes: Array.from(sizes) };
}

/** A copy of `pred` where every class in `classes` keeps only its largest component (the first one on a tie);
 *  the removed voxels become background (0). */
export function keepLargestComponent(pred: Int32Array, shape: readonly number[], classes: readonly number[], connectivity: Connectivity = 26): Int32Array {
  checkShape(pred.length, shape, 'keepLargestComponent');
  const out = Int32Array.from(pred);
  const mask = new Uint8Array(pred.length);
  for (const c of classes) {
    let any = false;
    for (let i = 0; i < pred.length; i++) {
      const m = pred[i] === c ? 1 : 0;
      mask[i] = m;
      any ||= m === 1;
    }
    if (!any) continue;
    const { labels, sizes } = labelComponents(mask, shape, connectivity);
    if (sizes.length < 2) continue;
    let keep = 0;
    for (let k = 1; k < sizes.length; k++) if (sizes[k] > sizes[keep]) keep = k;
    for (let i = 0; i < pred.length; i++) if (labels[i] !== 0 && labels[i] !== keep + 1) out[i] = 0;
  }
  return out;
}
