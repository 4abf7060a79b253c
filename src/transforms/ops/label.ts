// Plain-TypeScript references of the native label kernels: foreground/background
// indices, bounding box, one-hot.
import type { Shape3 } from '../../native/transforms.js';

/** Flat spatial indices with label > 0 in any channel (fg), and the others (bg) where,
 * when an image is given, some image channel is > imageThreshold (MONAI map_binary_to_indices). */
export function fgBgIndicesRef(
  label: Float32Array,
  labelChannels: number,
  image: Float32Array | null,
  imageChannels: number,
  spatial: number,
  imageThreshold: number,
): { fg: Int32Array; bg: Int32Array } {
  const fg: number[] = [],
    bg: number[] = [];
  for (let v = 0; v < spatial; v++) {
    let f = false;
    for (let c = 0; c < labelChannels && !f; c++) f = label[c * spatial + v] > 0;
    if (f) {
      fg.push(v);
      continue;
    }
    if (!image) {
      bg.push(v);
      continue;
    }
    for (let c = 0; c < imageChannels; c++)
      if (image[c * spatial + v] > imageThreshold) {
        bg.push(v);
        break;
      }
  }
  return { fg: Int32Array.from(fg), bg: Int32Array.from(bg) };
}

/** Box [start, end) of the voxels where some channel is > threshold; null when none is. */
export function boundingBoxRef(input: Float32Array, channels: number, shape: Shape3, threshold: number): { start: Shape3; end: Shape3 } | null {
  const [ni, nj, nk] = shape,
    sp = ni * nj * nk;
  const lo: Shape3 = [ni, nj, nk],
    hi: Shape3 = [-1, -1, -1];
  for (let i = 0; i < ni; i++)
    for (let j = 0; j < nj; j++)
      for (let k = 0; k < nk; k++) {
        const v = (i * nj + j) * nk + k;
        let any = false;
        for (let c = 0; c < channels && !any; c++) any = input[c * sp + v] > threshold;
        if (!any) continue;
        lo[0] = Math.min(lo[0], i);
        hi[0] = Math.max(hi[0], i);
        lo[1] = Math.min(lo[1], j);
        hi[1] = Math.max(hi[1], j);
        lo[2] = Math.min(lo[2], k);
        hi[2] = Math.max(hi[2], k);
      }
  if (hi[0] < 0) return null;
  return { start: lo, end: [hi[0] + 1, hi[1] + 1, hi[2] + 1] };
}

/** label [spatial] → [numClasses, spatial]; values outside 0..n-1 give all zeros. */
export function oneHotRef(label: Float32Array, spatial: number, numClasses: number): Float32Array {
  const out = new Float32Array(spatial * numClasses);
  for (let v = 0; v < spatial; v++) {
    const l = label[v];
    if (Number.isInteger(l) && l >= 0 && l < numClasses) out[l * spatial + v] = 1;
  }
  return out;
}
