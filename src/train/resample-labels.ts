// Puts a label map back on the grid of the image it came from: every voxel of the target
// grid takes the label of the nearest voxel of the source grid (through the two affines),
// 0 outside it. Undoes Spacingd, CropForegroundd, SpatialPadd and Orientationd for `infer`.
import type { Affine } from '../io/volume.js';
import { inverse, matmul } from '../transforms/geometry.js';

/** Inverse of a 4x4 affine (general, Gauss-Jordan); RangeError when it is singular. */
export function invertAffine(a: Affine): Affine {
  return inverse(a);
}

export function sameGrid(a: Affine, sa: number[], b: Affine, sb: number[], tol = 1e-4): boolean {
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]) && a.every((r, i) => r.every((x, j) => Math.abs(x - b[i][j]) <= tol));
}

/** Nearest-neighbour resampling of `src` (C order, shape srcShape, srcAffine) onto (dstShape, dstAffine). */
export function resampleLabels(src: ArrayLike<number>, srcShape: number[], srcAffine: Affine, dstShape: number[], dstAffine: Affine): Uint8Array {
  const t = matmul(invertAffine(srcAffine), dstAffine); // dst index → src index
  const [X, Y, Z] = dstShape,
    [SX, SY, SZ] = srcShape;
  const out = new Uint8Array(X * Y * Z);
  for (let i = 0; i < X; i++) {
    for (let j = 0; j < Y; j++) {
      const bx = t[0][0] * i + t[0][1] * j + t[0][3],
        by = t[1][0] * i + t[1][1] * j + t[1][3],
        bz = t[2][0] * i + t[2][1] * j + t[2][3];
      const row = (i * Y + j) * Z;
      for (let k = 0; k < Z; k++) {
        const si = Math.round(bx + t[0][2] * k),
          sj = Math.round(by + t[1][2] * k),
          sk = Math.round(bz + t[2][2] * k);
        if (si < 0 || sj < 0 || sk < 0 || si >= SX || sj >= SY || sk >= SZ) continue;
        out[row + k] = src[(si * SY + sj) * SZ + sk];
      }
    }
  }
  return out;
}
