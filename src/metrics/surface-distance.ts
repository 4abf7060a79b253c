// Surface distances between two binary masks, as MONAI 1.x computes them
// (monai.metrics.utils.get_mask_edges / get_surface_distance, euclidean, no sub-voxels):
// - a mask's edge = its voxels with at least one 6-neighbour outside the mask (outside the
//   volume counts as outside: scipy's binary_erosion with border 0 after a margin-1 crop);
// - distances from every edge voxel of A to the nearest edge voxel of B, in physical units
//   (voxel index × spacing); when B has no edge voxel, +Inf for each edge voxel of A; when A
//   has none but B has, +Inf for each edge voxel of B (MONAI's rule, kept for the counts);
// - HD(p) = max over both directions of the p-th percentile (torch.quantile's linear rule:
//   an Inf in the interpolation gives NaN, as MONAI returns for an empty mask); NaN when
//   neither mask has the class;
// - NSD(τ) = (#A→B ≤ τ + #B→A ≤ τ) / (#A→B + #B→A), NaN when both are empty.
// Distances come from an exact separable Euclidean distance transform (Felzenszwalb &
// Huttenlocher) on the bounding box of both edge sets, which holds every feature point.

/** Edge voxels of the mask `m` (nonzero = inside), C order over `shape` (3 axes). */
export function maskEdges(m: Uint8Array, shape: readonly number[]): Uint8Array {
  const [nx, ny, nz] = shape;
  const out = new Uint8Array(m.length);
  const sx = ny * nz;
  for (let x = 0; x < nx; x++) {
    for (let y = 0; y < ny; y++) {
      for (let z = 0; z < nz; z++) {
        const i = x * sx + y * nz + z;
        if (!m[i]) continue;
        if (
          x === 0 ||
          x === nx - 1 ||
          y === 0 ||
          y === ny - 1 ||
          z === 0 ||
          z === nz - 1 ||
          !m[i - sx] ||
          !m[i + sx] ||
          !m[i - nz] ||
          !m[i + nz] ||
          !m[i - 1] ||
          !m[i + 1]
        )
          out[i] = 1;
      }
    }
  }
  return out;
}

/** The binary mask of class `c` in a class-index volume. */
export function classMask(labels: ArrayLike<number>, c: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = labels[i] === c ? 1 : 0;
  return out;
}

function count(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) n += m[i];
  return n;
}

/** 1-D squared distance transform of f (sample spacing s) into d, FH's lower envelope of parabolas. */
function dt1d(f: Float64Array, n: number, s: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  let first = 0;
  while (first < n && f[first] === Infinity) first++;
  if (first === n) {
    for (let q = 0; q < n; q++) d[q] = Infinity;
    return;
  }
  v[0] = first;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = first + 1; q < n; q++) {
    if (f[q] === Infinity) continue;
    const xq = q * s;
    // z[0] = -Inf, so the envelope never empties
    let x = 0;
    for (;;) {
      const xp = v[k] * s;
      x = (f[q] + xq * xq - (f[v[k]] + xp * xp)) / (2 * (xq - xp));
      if (x > z[k]) break;
      k--;
    }
    k++;
    v[k] = q;
    z[k] = x;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    const xq = q * s;
    while (z[k + 1] < xq) k++;
    const xp = v[k] * s;
    d[q] = (xq - xp) * (xq - xp) + f[v[k]];
  }
}

/** Squared physical distance from every voxel of the box to the nearest feature voxel. */
function squaredEdt(feature: Uint8Array, shape: readonly number[], spacing: readonly number[]): Float64Array {
  const [nx, ny, nz] = shape;
  const g = new Float64Array(feature.length);
  for (let i = 0; i < g.length; i++) g[i] = feature[i] ? 0 : Infinity;
  const n = Math.max(nx, ny, nz);
  const f = new Float64Array(n),
    d = new Float64Array(n),
    v = new Int32Array(n),
    z = new Float64Array(n + 1);
  const pass = (len: number, stride: number, s: number, starts: Iterable<number>) => {
    for (const base of starts) {
      for (let q = 0; q < len; q++) f[q] = g[base + q * stride];
      dt1d(f, len, s, d, v, z);
      for (let q = 0; q < len; q++) g[base + q * stride] = d[q];
    }
  };
  function* lines(a: number, b: number, sa: number, sb: number) {
    for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) yield i * sa + j * sb;
  }
  pass(nz, 1, spacing[2], lines(nx, ny, ny * nz, nz));
  pass(ny, nz, spacing[1], lines(nx, nz, ny * nz, 1));
  pass(nx, ny * nz, spacing[0], lines(ny, nz, nz, 1));
  return g;
}

/** Bounding box [lo, hi) over the voxels set in any of the masks; undefined when none is set. */
function boundingBox(masks: Uint8Array[], shape: readonly number[]): { lo: number[]; hi: number[] } | undefined {
  const [, ny, nz] = shape;
  const lo = [Infinity, Infinity, Infinity],
    hi = [-1, -1, -1];
  for (const m of masks) {
    for (let i = 0; i < m.length; i++) {
      if (!m[i]) continue;
      const x = Math.floor(i / (ny * nz)),
        y = Math.floor(i / nz) % ny,
        z = i % nz;
      const c = [x, y, z];
      for (let a = 0; a < 3; a++) {
        if (c[a] < lo[a]) lo[a] = c[a];
        if (c[a] > hi[a]) hi[a] = c[a];
      }
    }
  }
  if (hi[0] < 0) return undefined;
  return { lo, hi: hi.map((h) => h + 1) };
}

function crop(m: Uint8Array, shape: readonly number[], lo: number[], bshape: number[]): Uint8Array {
  const [, ny, nz] = shape;
  const out = new Uint8Array(bshape[0] * bshape[1] * bshape[2]);
  for (let x = 0; x < bshape[0]; x++) {
    for (let y = 0; y < bshape[1]; y++) {
      const src = (x + lo[0]) * ny * nz + (y + lo[1]) * nz + lo[2];
      out.set(m.subarray(src, src + bshape[2]), (x * bshape[1] + y) * bshape[2]);
    }
  }
  return out;
}

/** Distances from each edge voxel of `a` to the nearest edge voxel of `b` (MONAI's get_surface_distance, euclidean). */
export function surfaceDistances(a: Uint8Array, b: Uint8Array, shape: readonly number[], spacing: readonly number[]): Float64Array {
  const na = count(a),
    nb = count(b);
  if (nb === 0) return new Float64Array(na).fill(Infinity);
  if (na === 0) return new Float64Array(nb).fill(Infinity);
  const box = boundingBox([a, b], shape)!;
  const bshape = box.hi.map((h, i) => h - box.lo[i]);
  const ca = crop(a, shape, box.lo, bshape),
    cb = crop(b, shape, box.lo, bshape);
  const g = squaredEdt(cb, bshape, spacing);
  const out = new Float64Array(na);
  let k = 0;
  for (let i = 0; i < ca.length; i++) if (ca[i]) out[k++] = Math.sqrt(g[i]);
  return out;
}

/** torch.quantile (linear interpolation, torch.lerp's formula) of q in [0, 1]; NaN for an empty list. */
export function quantile(values: Float64Array, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const pos = q * (n - 1);
  const lo = Math.floor(pos),
    hi = Math.min(lo + 1, n - 1);
  const w = pos - lo;
  const a = s[lo],
    b = s[hi];
  return w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

interface SurfacePair {
  predToGt: Float64Array;
  gtToPred: Float64Array;
}

/** Both directed surface-distance lists of class `c` between a prediction and a label (class-index volumes). */
export function classSurfaceDistances(
  pred: ArrayLike<number>,
  label: ArrayLike<number>,
  c: number,
  shape: readonly number[],
  spacing: readonly number[],
): SurfacePair {
  const ep = maskEdges(classMask(pred, c), shape),
    eg = maskEdges(classMask(label, c), shape);
  return { predToGt: surfaceDistances(ep, eg, shape, spacing), gtToPred: surfaceDistances(eg, ep, shape, spacing) };
}

/** MONAI's compute_hausdorff_distance for one class (percentile in 0..100; undefined = the maximum). */
export function hausdorffFromPair(p: SurfacePair, percentile?: number): number {
  const one = (d: Float64Array) =>
    d.length === 0
      ? NaN
      : percentile === undefined || percentile === 0
        ? d.reduce((m, x) => (x > m || Number.isNaN(x) ? x : m), -Infinity)
        : quantile(d, percentile / 100);
  const a = one(p.predToGt),
    b = one(p.gtToPred);
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
}

/** MONAI's compute_surface_dice for one class (tolerance in the spacing's unit, mm). */
export function surfaceDiceFromPair(p: SurfacePair, tolerance: number): number {
  const total = p.predToGt.length + p.gtToPred.length;
  if (total === 0) return NaN;
  let ok = 0;
  for (const d of p.predToGt) if (d <= tolerance) ok++;
  for (const d of p.gtToPred) if (d <= tolerance) ok++;
  return ok / total;
}

/** Voxel spacing along each array axis: the lengths of the affine's first three columns. */
export function spacingOf(affine: number[][] | undefined): number[] {
  if (!affine) return [1, 1, 1];
  return [0, 1, 2].map((j) => Math.hypot(affine[0][j], affine[1][j], affine[2][j]) || 1);
}
