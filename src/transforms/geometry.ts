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

/** MONAI zoom_affine(diagonal=False): keeps the rotation, sets column norms to pixdim (0 keeps the current spacing). */
export function zoomAffine(affine: Affine, pixdim: number[]): Mat {
  const cur = affineSpacing(affine);
  const scale = [0, 1, 2].map((i) => (pixdim[i] === undefined || pixdim[i] <= 0 ? cur[i] : pixdim[i]));
  const r = [0, 1, 2].map((i) => [0, 1, 2].map((j) => affine[i][j]));
  // Cholesky of RᵀR = LLᵀ; zs = Lᵀ (upper), rotation = R · zs⁻¹
  const rtr = [0, 1, 2].map((i) => [0, 1, 2].map((j) => r[0][i] * r[0][j] + r[1][i] * r[1][j] + r[2][i] * r[2][j]));
  const L = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) for (let j = 0; j <= i; j++) {
    let s = rtr[i][j];
    for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
    L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
  }
  const zs = [0, 1, 2].map((i) => [0, 1, 2].map((j) => L[j][i]));
  const zsInv = inverse([[...zs[0], 0], [...zs[1], 0], [...zs[2], 0], [0, 0, 0, 1]]);
  const rot = matmul([[...r[0], 0], [...r[1], 0], [...r[2], 0], [0, 0, 0, 1]], zsInv);
  const s = [0, 1, 2].map((i) => Math.sign(zs[i][i]) * Math.abs(scale[i]));
  const out = eye();
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i][j] = rot[i][j] * s[j];
  return out;
}

/** MONAI compute_shape_offset(scale_extent=False): output shape and the offset (world) of its first voxel. */
export function computeShapeOffset(shape: number[], inAffine: Affine, outAffine: Mat): { shape: number[]; offset: number[] } {
  const corners: number[][] = [];
  for (const a of [0, shape[0] - 1]) for (const b of [0, shape[1] - 1]) for (const c of [0, shape[2] - 1]) corners.push([a, b, c, 1]);
  const x = matmul(inverse(outAffine), inAffine);
  const out = corners.map((p) => x.map((row) => row.reduce((s, v, k) => s + v * p[k], 0)));
  const world = corners.map((p) => inAffine.map((row) => row.reduce((s, v, k) => s + v * p[k], 0)));
  const outShape = [0, 1, 2].map((d) => {
    const vals = out.map((p) => p[d] / p[3]);
    return Math.round(Math.max(...vals) - Math.min(...vals) + 1);
  });
  let offset: number[] | undefined;
  for (let i = 0; i < out.length; i++) {
    const isMin = [0, 1, 2].every((d) => out.every((p) => p[d] - out[i][d] >= -1e-4 * Math.max(1, Math.abs(out[i][d]))));
    if (isMin) { offset = world[i].slice(0, 3); break; }
  }
  if (!offset) {
    offset = [0, 1, 2].map((d) =>
      [0, 1, 2].reduce((s, k) => s + inAffine[d][k] * (shape[k] / 2), 0) + inAffine[d][3] -
      [0, 1, 2].reduce((s, k) => s + outAffine[d][k] * (outShape[k] / 2), 0));
  }
  return { shape: outShape, offset };
}

/** The 3x4 voxel→voxel map (output index → input index) for resample(): inv(src) · dst. */
export function voxelXform(src: Mat, dst: Mat): number[] {
  const x = matmul(inverse(src), dst);
  return [...x[0], ...x[1], ...x[2]];
}

// ---- orientation (nibabel io_orientation / axcodes) ----

const LABELS: [string, string][] = [['L', 'R'], ['P', 'A'], ['I', 'S']];

/** For each voxel axis: [world axis, +1|-1] (nibabel io_orientation, greedy on |R·S⁻¹|). */
export function ioOrientation(affine: Affine): [number, number][] {
  const sp = affineSpacing(affine);
  const rs = [0, 1, 2].map((i) => [0, 1, 2].map((j) => affine[i][j] / (sp[j] || 1)));
  const out: [number, number][] = [[-1, 0], [-1, 0], [-1, 0]];
  const usedW = new Set<number>(), usedV = new Set<number>();
  for (let n = 0; n < 3; n++) {
    let best = -1, bw = -1, bv = -1;
    for (let w = 0; w < 3; w++) for (let v = 0; v < 3; v++) {
      if (usedW.has(w) || usedV.has(v)) continue;
      if (Math.abs(rs[w][v]) > best) { best = Math.abs(rs[w][v]); bw = w; bv = v; }
    }
    usedW.add(bw); usedV.add(bv);
    out[bv] = [bw, rs[bw][bv] < 0 ? -1 : 1];
  }
  return out;
}

export function axcodesOf(affine: Affine): string {
  return ioOrientation(affine).map(([w, s]) => LABELS[w][s > 0 ? 1 : 0]).join('');
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
