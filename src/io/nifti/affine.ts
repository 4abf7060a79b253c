// Affines from a NIfTI header, with nibabel's rules (nibabel/nifti1.py get_best_affine):
// sform when sform_code != 0, else qform when qform_code != 0, else the base affine
// (pixdim diagonal, x flipped, origin at the volume centre; nibabel's shape_zoom_affine).
import { ClaraError } from '../../util/errors.js';
import type { Affine } from '../volume.js';
import type { NiftiHeader } from './header.js';

export type AffineSource = 'sform' | 'qform' | 'pixdim';

/** nibabel's quaternion threshold: 3 eps of the header's float type (float32 in NIfTI-1, float64 in NIfTI-2). */
const quatThreshold = (h: NiftiHeader) => (h.version === 1 ? 2 ** -23 : 2 ** -52) * 3;

function sformAffine(h: NiftiHeader): Affine {
  return [[...h.srow[0]], [...h.srow[1]], [...h.srow[2]], [0, 0, 0, 1]];
}

/** The qfac nibabel uses: pixdim[0] when it is ±1, else 1 (nibabel's header check fixes it to 1). */
function qfacOf(h: NiftiHeader): 1 | -1 {
  return h.pixdim[0] === -1 ? -1 : 1;
}

function quaternionToMatrix(w: number, x: number, y: number, z: number): number[][] {
  const nq = w * w + x * x + y * y + z * z;
  if (nq < Number.EPSILON)
    return [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
  const s = 2 / nq;
  const X = x * s,
    Y = y * s,
    Z = z * s;
  const wX = w * X,
    wY = w * Y,
    wZ = w * Z;
  const xX = x * X,
    xY = x * Y,
    xZ = x * Z;
  const yY = y * Y,
    yZ = y * Z,
    zZ = z * Z;
  return [
    [1 - (yY + zZ), xY - wZ, xZ + wY],
    [xY + wZ, 1 - (xX + zZ), yZ - wX],
    [xZ - wY, yZ + wX, 1 - (xX + yY)],
  ];
}

function qformAffine(h: NiftiHeader, file = '<header>'): Affine {
  const [b, c, d] = h.quatern;
  const w2 = 1 - (b * b + c * c + d * d);
  let a: number;
  if (Math.abs(w2) < quatThreshold(h)) a = 0;
  else if (w2 < 0) {
    throw new ClaraError(`qform quaternion (${b}, ${c}, ${d}) has norm > 1`, { file, path: 'header.quatern_b' });
  } else a = Math.sqrt(w2);
  const R = quaternionToMatrix(a, b, c, d);
  const vox = [h.pixdim[1], h.pixdim[2], h.pixdim[3]];
  if (vox.some((v) => v < 0)) {
    throw new ClaraError(`pixdim[1..3] = ${vox.join(', ')} should be positive for a qform`, { file, path: 'header.pixdim' });
  }
  vox[2] *= qfacOf(h);
  const out: Affine = [
    [0, 0, 0, h.qoffset[0]],
    [0, 0, 0, h.qoffset[1]],
    [0, 0, 0, h.qoffset[2]],
    [0, 0, 0, 1],
  ];
  for (let r = 0; r < 3; r++) for (let col = 0; col < 3; col++) out[r][col] = R[r][col] * vox[col];
  return out;
}

/** nibabel's base affine: shape_zoom_affine(shape, pixdim, x_flip=True). */
function baseAffine(h: NiftiHeader): Affine {
  const ndim = h.dim[0];
  const shape = [1, 1, 1],
    zooms = [1, 1, 1];
  for (let i = 0; i < Math.min(3, ndim); i++) {
    shape[i] = h.dim[i + 1];
    zooms[i] = h.pixdim[i + 1];
  }
  zooms[0] *= -1;
  const out: Affine = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
  for (let i = 0; i < 3; i++) {
    out[i][i] = zooms[i];
    out[i][3] = -((shape[i] - 1) / 2) * zooms[i];
  }
  return out;
}

/** A qform/sform code that selects its transform: 1..5 (0 is "unknown", anything else invalid). */
function validXformCode(code: number): boolean {
  return Number.isInteger(code) && code >= 1 && code <= 5;
}

export function bestAffine(h: NiftiHeader, file?: string): { affine: Affine; source: AffineSource } {
  // nibabel treats a code outside 0..5 (NIFTI_XFORM_UNKNOWN..TEMPLATE_OTHER) as 0: that form is ignored.
  if (validXformCode(h.sformCode)) return { affine: sformAffine(h), source: 'sform' };
  if (validXformCode(h.qformCode)) return { affine: qformAffine(h, file), source: 'qform' };
  return { affine: baseAffine(h), source: 'pixdim' };
}

// ---- writing: affine → quaternion (nibabel's set_qform, strip_shears=True) ----

function det3(m: number[][]): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  );
}

function inv3T(m: number[][]): number[][] {
  // inverse transpose = cofactor matrix / det
  const d = det3(m);
  const c = [
    [m[1][1] * m[2][2] - m[1][2] * m[2][1], -(m[1][0] * m[2][2] - m[1][2] * m[2][0]), m[1][0] * m[2][1] - m[1][1] * m[2][0]],
    [-(m[0][1] * m[2][2] - m[0][2] * m[2][1]), m[0][0] * m[2][2] - m[0][2] * m[2][0], -(m[0][0] * m[2][1] - m[0][1] * m[2][0])],
    [m[0][1] * m[1][2] - m[0][2] * m[1][1], -(m[0][0] * m[1][2] - m[0][2] * m[1][0]), m[0][0] * m[1][1] - m[0][1] * m[1][0]],
  ];
  return c.map((row) => row.map((v) => v / d));
}

/** Closest orthogonal matrix (polar decomposition, Newton iteration; R must be non-singular). */
function nearestOrthogonal(R: number[][]): number[][] {
  let X = R.map((r) => [...r]);
  for (let it = 0; it < 100; it++) {
    const Y = inv3T(X);
    const N = X.map((row, i) => row.map((v, j) => (v + Y[i][j]) / 2));
    let diff = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) diff = Math.max(diff, Math.abs(N[i][j] - X[i][j]));
    X = N;
    if (diff < 1e-15) break;
  }
  return X;
}

/** Unit quaternion [w, x, y, z] (w >= 0) of a rotation matrix (Shepperd's method). */
function matrixToQuaternion(m: number[][]): [number, number, number, number] {
  const tr = m[0][0] + m[1][1] + m[2][2];
  let w: number, x: number, y: number, z: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = s / 4;
    x = (m[2][1] - m[1][2]) / s;
    y = (m[0][2] - m[2][0]) / s;
    z = (m[1][0] - m[0][1]) / s;
  } else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
    const s = Math.sqrt(1 + m[0][0] - m[1][1] - m[2][2]) * 2;
    w = (m[2][1] - m[1][2]) / s;
    x = s / 4;
    y = (m[0][1] + m[1][0]) / s;
    z = (m[0][2] + m[2][0]) / s;
  } else if (m[1][1] > m[2][2]) {
    const s = Math.sqrt(1 + m[1][1] - m[0][0] - m[2][2]) * 2;
    w = (m[0][2] - m[2][0]) / s;
    x = (m[0][1] + m[1][0]) / s;
    y = s / 4;
    z = (m[1][2] + m[2][1]) / s;
  } else {
    const s = Math.sqrt(1 + m[2][2] - m[0][0] - m[1][1]) * 2;
    w = (m[1][0] - m[0][1]) / s;
    x = (m[0][2] + m[2][0]) / s;
    y = (m[1][2] + m[2][1]) / s;
    z = s / 4;
  }
  const n = Math.hypot(w, x, y, z);
  const sign = w < 0 ? -1 : 1;
  return [(sign * w) / n, (sign * x) / n, (sign * y) / n, (sign * z) / n];
}

export interface QformParams {
  quatern: [number, number, number];
  qoffset: [number, number, number];
  /** pixdim[1..3]: column norms of the affine's 3x3 part. */
  zooms: [number, number, number];
  qfac: 1 | -1;
}

/** nibabel's set_qform: zooms = column norms, qfac = sign of det, shears stripped. */
export function affineToQform(affine: Affine): QformParams {
  const RZS = [0, 1, 2].map((r) => [0, 1, 2].map((c) => affine[r][c]));
  const zooms = [0, 1, 2].map((c) => Math.hypot(RZS[0][c], RZS[1][c], RZS[2][c])) as [number, number, number];
  const R = RZS.map((row) => row.map((v, c) => (zooms[c] === 0 ? (v === 0 ? 0 : v) : v / zooms[c])));
  // A zero column (degenerate affine) gets the unit axis so the rotation stays defined.
  for (let c = 0; c < 3; c++) if (zooms[c] === 0) for (let r = 0; r < 3; r++) R[r][c] = r === c ? 1 : 0;
  let qfac: 1 | -1 = 1;
  if (det3(R) <= 0) {
    qfac = -1;
    for (let r = 0; r < 3; r++) R[r][2] *= -1;
  }
  const PR = nearestOrthogonal(R);
  const q = matrixToQuaternion(PR);
  return { quatern: [q[1], q[2], q[3]], qoffset: [affine[0][3], affine[1][3], affine[2][3]], zooms, qfac };
}
