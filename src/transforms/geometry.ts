// Affine geometry shared by the spatial transforms (MONAI/nibabel conventions):
// 4x4 row-major matrices, voxel → world (RAS+ mm).
import type { Affine } from '../io/volume.js';

export type Mat = number[][];

export function eye(n = 4): Mat {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

export function matmul(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

export function inverse(m: Mat): Mat {
  const n = m.length;
  const a = m.map((r, i) => [...r, ...eye(n)[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (Math.abs(a[p][c]) < 1e-12) throw new RangeError('affine is not invertible');
    [a[c], a[p]] = [a[p], a[c]];
    const d = a[c][c];
    for (let j = 0; j < 2 * n; j++) a[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c];
      if (f !== 0) for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((r) => r.slice(n));
}

/** Column norms of the 3x3 part: the voxel spacing. */
export function affineSpacing(a: Affine): number[] {
  return [0, 1, 2].map((j) => Math.hypot(a[0][j], a[1][j], a[2][j]));
}

export function translate(t: number[]): Mat {
  const m = eye();
  for (let i = 0; i < 3; i++) m[i][3] = t[i];
  return m;
}

/** MONAI zoom_affine: diagonal=false keeps the rotation and sets the column norms to pixdim;
 * diagonal=true gives diag(pixdim). A missing or non-positive pixdim keeps the current spacing. */
export function zoomAffine(affine: Affine, pixdim: number[], diagonal = false): Mat {
  const cur = affineSpacing(affine);
  const scale = [0, 1, 2].map((i) => (pixdim[i] === undefined || pixdim[i] <= 0 ? cur[i] : pixdim[i])).map((v) => (v === 0 ? 1 : v));
  if (diagonal) return createScale(scale);
  const r = [0, 1, 2].map((i) => [0, 1, 2].map((j) => affine[i][j]));
  // Cholesky of RᵀR = LLᵀ; zs = Lᵀ (upper), rotation = R · zs⁻¹
  const rtr = [0, 1, 2].map((i) => [0, 1, 2].map((j) => r[0][i] * r[0][j] + r[1][i] * r[1][j] + r[2][i] * r[2][j]));
  const L = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j <= i; j++) {
      let s = rtr[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  const zs = [0, 1, 2].map((i) => [0, 1, 2].map((j) => L[j][i]));
  const zsInv = inverse([
    [...zs[0], 0],
    [...zs[1], 0],
    [...zs[2], 0],
    [0, 0, 0, 1],
  ]);
  const rot = matmul(
    [
      [...r[0], 0],
      [...r[1], 0],
      [...r[2], 0],
      [0, 0, 0, 1],
    ],
    zsInv,
  );
  const s = [0, 1, 2].map((i) => Math.sign(zs[i][i]) * Math.abs(scale[i]));
  const out = eye();
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i][j] = rot[i][j] * s[j];
  return out;
}

/** MONAI compute_shape_offset: output shape and the world position of its first voxel. With
 * scaleExtent the voxels' full extent (corners at -0.5, d-0.5) is scaled instead of their centres. */
export function computeShapeOffset(shape: number[], inAffine: Affine, outAffine: Mat, scaleExtent = false): { shape: number[]; offset: number[] } {
  const corners: number[][] = [];
  const [lo, hi] = scaleExtent ? [-0.5, -0.5] : [0, -1];
  for (const a of [lo, shape[0] + hi]) for (const b of [lo, shape[1] + hi]) for (const c of [lo, shape[2] + hi]) corners.push([a, b, c, 1]);
  const x = matmul(inverse(outAffine), inAffine);
  const apply = (m: Mat, p: number[]) => m.map((row) => row.reduce((s, v, k) => s + v * p[k], 0));
  const out = corners.map((p) => apply(x, p));
  const world = corners.map((p) => apply(inAffine, p));
  const outShape = [0, 1, 2].map((d) => {
    const vals = out.map((p) => p[d] / p[3]);
    return roundHalfEven(Math.max(...vals) - Math.min(...vals) + (scaleExtent ? 0 : 1));
  });
  let offset: number[] | undefined;
  for (let i = 0; i < out.length; i++) {
    // numpy allclose(min_j(out_j - out_i), 0, rtol=1e-3): |.| <= 1e-8
    const isMin = [0, 1, 2].every((d) => Math.abs(Math.min(...out.map((p) => p[d] - out[i][d]))) <= 1e-8);
    if (isMin) {
      offset = world[i].slice(0, 3);
      break;
    }
  }
  if (!offset) {
    offset = [0, 1, 2].map(
      (d) =>
        [0, 1, 2].reduce((s, k) => s + inAffine[d][k] * (shape[k] / 2), 0) +
        inAffine[d][3] -
        [0, 1, 2].reduce((s, k) => s + outAffine[d][k] * (outShape[k] / 2), 0),
    );
  }
  if (scaleExtent) {
    const inOff = [0, 1, 2].map((d) => 0.5 * (shape[d] / outShape[d] - 1));
    const w = apply(inAffine, [...inOff, 1]);
    offset = offset.map((o, d) => Math.abs(w[d] / w[3]) * Math.sign(o));
  }
  return { shape: outShape, offset };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The 3x4 voxel→voxel map (output index → input index) for resample(): inv(src) · dst. */
export function voxelXform(src: Mat, dst: Mat): number[] {
  const x = matmul(inverse(src), dst);
  return [...x[0], ...x[1], ...x[2]];
}

// ---- orientation (nibabel io_orientation / axcodes) ----

const LABELS: [string, string][] = [
  ['L', 'R'],
  ['P', 'A'],
  ['I', 'S'],
];

/** For each voxel axis: [world axis, +1|-1] (nibabel io_orientation, greedy on |R·S⁻¹|). */
export function ioOrientation(affine: Affine): [number, number][] {
  const sp = affineSpacing(affine);
  const rs = [0, 1, 2].map((i) => [0, 1, 2].map((j) => affine[i][j] / (sp[j] || 1)));
  const out: [number, number][] = [
    [-1, 0],
    [-1, 0],
    [-1, 0],
  ];
  const usedW = new Set<number>(),
    usedV = new Set<number>();
  for (let n = 0; n < 3; n++) {
    let best = -1,
      bw = -1,
      bv = -1;
    for (let w = 0; w < 3; w++)
      for (let v = 0; v < 3; v++) {
        if (usedW.has(w) || usedV.has(v)) continue;
        if (Math.abs(rs[w][v]) > best) {
          best = Math.abs(rs[w][v]);
          bw = w;
          bv = v;
        }
      }
    usedW.add(bw);
    usedV.add(bv);
    out[bv] = [bw, rs[bw][bv] < 0 ? -1 : 1];
  }
  return out;
}

export function axcodesOf(affine: Affine): string {
  return ioOrientation(affine)
    .map(([w, s]) => LABELS[w][s > 0 ? 1 : 0])
    .join('');
}

/** The target orientation of axcodes like "RAS": for each output axis [world axis, sign]. */
export function axcodesToOrnt(axcodes: string): [number, number][] {
  const codes = axcodes.toUpperCase().split('');
  if (codes.length !== 3) throw new RangeError(`axcodes must have 3 letters, got '${axcodes}'`);
  const used = new Set<number>();
  return codes.map((c) => {
    const w = LABELS.findIndex((p) => p.includes(c));
    if (w < 0 || used.has(w)) throw new RangeError(`axcodes '${axcodes}' must name each of L/R, P/A, I/S once`);
    used.add(w);
    return [w, LABELS[w][1] === c ? 1 : -1] as [number, number];
  });
}

// ---- MONAI's affine building blocks (monai.transforms.utils create_*), 3D, 4x4 ----

/** MONAI create_rotate(3, radians, rotate_order="XYZ"): intrinsic rotations, x then y then z (Rx·Ry·Rz);
 * fewer than three angles rotate about the first axes only. */
export function createRotate(radians: number[]): Mat {
  let out = eye();
  radians.slice(0, 3).forEach((r, axis) => {
    const c = Math.cos(r),
      s = Math.sin(r),
      m = eye();
    const [a, b] = axis === 0 ? [1, 2] : axis === 1 ? [2, 0] : [0, 1];
    m[a][a] = c;
    m[a][b] = -s;
    m[b][a] = s;
    m[b][b] = c;
    out = matmul(out, m);
  });
  return out;
}

/** MONAI create_shear(3, coefs): six coefficients (missing ones 0) for the entries
 * (0,1) (0,2) (1,0) (1,2) (2,0) (2,1), each elementary shear pre-multiplied in that order
 * (a proper shear with determinant 1). */
export function createShear(coefs: number[]): Mat {
  const idx: [number, number][] = [
    [0, 1],
    [0, 2],
    [1, 0],
    [1, 2],
    [2, 0],
    [2, 1],
  ];
  let out = eye();
  idx.forEach(([i, j], n) => {
    const s = eye();
    s[i][j] = coefs[n] ?? 0;
    out = matmul(s, out);
  });
  return out;
}

/** MONAI create_scale(3, factors): missing factors are 1. */
export function createScale(factors: number[]): Mat {
  const m = eye();
  for (let d = 0; d < 3; d++) m[d][d] = factors[d] ?? 1;
  return m;
}

/** MONAI create_translate(3, shift): missing shifts are 0. */
export function createTranslate(shift: number[]): Mat {
  return translate([0, 1, 2].map((d) => shift[d] ?? 0));
}

export interface AffineParams {
  rotate?: number[] | null;
  shear?: number[] | null;
  translate?: number[] | null;
  scale?: number[] | null;
}

/** MONAI AffineGrid: rotate · shear · translate · scale, each skipped when absent or empty. The
 * result maps output voxel coordinates (relative to the output centre) to input coordinates
 * (relative to the input centre). */
export function affineFromParams(p: AffineParams): Mat {
  let a = eye();
  if (p.rotate?.length) a = matmul(a, createRotate(p.rotate));
  if (p.shear?.length) a = matmul(a, createShear(p.shear));
  if (p.translate?.length) a = matmul(a, createTranslate(p.translate));
  if (p.scale?.length) a = matmul(a, createScale(p.scale));
  return a;
}

/** MONAI Affine.compute_w_affine (align_corners=False): the centred affine `a` as a map from output
 * voxel indices to input voxel indices: T(+(in-1)/2) · a · T(-(out-1)/2). */
export function centredToIndex(a: Mat, inShape: number[], outShape: number[]): Mat {
  return matmul(matmul(translate(inShape.map((d) => (d - 1) / 2)), a), translate(outShape.map((d) => -(d - 1) / 2)));
}

/** MONAI scale_affine(spatial_size, new_spatial_size, centered=True, align_corners). */
export function scaleAffine(shape: number[], newShape: number[], alignCorners: boolean): Mat {
  if (shape.every((d, i) => d === newShape[i])) return eye();
  const m = eye();
  for (let d = 0; d < 3; d++) {
    m[d][d] = alignCorners ? (newShape[d] === 1 ? 0 : (shape[d] - 1) / (newShape[d] - 1)) : shape[d] / Math.max(newShape[d], 1);
    if (!alignCorners) m[d][3] = (m[d][d] - 1) / 2;
  }
  return m;
}
