// nnU-Net v2's planning rules, re-derived in TypeScript (nnunetv2.experiment_planning:
// ExperimentPlanner.determine_fullres_target_spacing, get_pool_and_conv_props, pad_shape,
// compute_new_shape and the initial patch size of get_plans_for_configuration). Axes are the
// voxel axes as the fingerprint stores them.

/** nnU-Net's ANISO_THRESHOLD. */
const ANISO_THRESHOLD = 3;
/** nnU-Net's UNet_featuremap_min_edge_length. */
export const MIN_FEATURE_MAP = 4;

/** numpy.percentile(values, q) (linear). */
export function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (s.length - 1),
    lo = Math.floor(pos),
    hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

interface TargetSpacing {
  spacing: number[];
  /** The low-resolution axis nnU-Net's anisotropy rule changed, if it did. */
  anisotropicAxis: number | null;
  reason: string;
}

/**
 * Median spacing per axis; when one axis is both coarser than ANISO_THRESHOLD × the others'
 * spacing and has fewer than 1/ANISO_THRESHOLD of their voxels (median shape after crop), its
 * target is the 10th percentile of that axis' spacings (not below the other axes' spacing).
 */
export function targetSpacing(spacings: number[][], shapesAfterCrop: number[][]): TargetSpacing {
  const target = [0, 1, 2].map((a) =>
    percentile(
      spacings.map((s) => s[a]),
      50,
    ),
  );
  const size = [0, 1, 2].map((a) =>
    percentile(
      shapesAfterCrop.map((s) => s[a]),
      50,
    ),
  );
  const worst = target.indexOf(Math.max(...target));
  const others = [0, 1, 2].filter((a) => a !== worst);
  const otherSp = others.map((a) => target[a]),
    otherSz = others.map((a) => size[a]);
  const anisoSpacing = target[worst] > ANISO_THRESHOLD * Math.max(...otherSp);
  const anisoVoxels = size[worst] * ANISO_THRESHOLD < Math.min(...otherSz);
  const med = `median spacing per axis over ${spacings.length} case(s): [${target.map((x) => +x.toFixed(4)).join(', ')}] mm`;
  if (!(anisoSpacing && anisoVoxels)) {
    return {
      spacing: target,
      anisotropicAxis: null,
      reason: `${med}; no axis is both ${ANISO_THRESHOLD}x coarser and ${ANISO_THRESHOLD}x shorter than the others (nnU-Net's anisotropy rule does not apply)`,
    };
  }
  let t = percentile(
    spacings.map((s) => s[worst]),
    10,
  );
  if (t < Math.max(...otherSp)) t = Math.max(Math.max(...otherSp), t) + 1e-5;
  const out = target.slice();
  out[worst] = t;
  return {
    spacing: out,
    anisotropicAxis: worst,
    reason: `${med}; axis ${worst} is anisotropic (${target[worst]} mm > ${ANISO_THRESHOLD} x ${Math.max(...otherSp)} mm and ${size[worst]} voxels x ${ANISO_THRESHOLD} < ${Math.min(...otherSz)}), so its target is the 10th percentile of its spacings (nnU-Net): ${+t.toFixed(5)} mm`,
  };
}

/** nnU-Net's compute_new_shape: round(old_spacing / new_spacing * old_shape). */
export function resampledShape(shape: number[], spacing: number[], target: number[]): number[] {
  return shape.map((s, i) => Math.round((spacing[i] / target[i]) * s));
}

/** nnU-Net's pad_shape: round each size up to a multiple of its divisor. */
export function padShape(shape: number[], div: number[]): number[] {
  return shape.map((s, i) => (s % div[i] === 0 ? s : s + div[i] - (s % div[i])));
}

export interface Topology {
  numPoolPerAxis: number[];
  poolKernels: number[][];
  convKernels: number[][];
  patchSize: number[];
  divisibleBy: number[];
}

/** nnU-Net's get_pool_and_conv_props (min feature map MIN_FEATURE_MAP, no pooling cap). */
export function poolAndConvProps(spacing: number[], patch: number[], minFeature = MIN_FEATURE_MAP, maxPool = 999999): Topology {
  const dim = spacing.length;
  const sp = spacing.slice(),
    size = patch.slice();
  const poolKernels: number[][] = [Array(dim).fill(1)];
  const convKernels: number[][] = [];
  const numPool = Array(dim).fill(0);
  const kernel = Array(dim).fill(1);
  for (;;) {
    let valid = [...Array(dim).keys()].filter((i) => size[i] >= 2 * minFeature);
    if (valid.length < 1) break;
    const minSp = Math.min(...valid.map((i) => sp[i]));
    valid = valid.filter((i) => sp[i] / minSp < 2).filter((i) => numPool[i] < maxPool);
    if (valid.length === 1 && !(size[valid[0]] >= 3 * minFeature)) break;
    if (valid.length < 1) break;
    const minAll = Math.min(...sp);
    for (let d = 0; d < dim; d++) if (kernel[d] !== 3 && sp[d] / minAll < 2) kernel[d] = 3;
    const pk = Array(dim).fill(1);
    for (const v of valid) {
      pk[v] = 2;
      numPool[v]++;
      sp[v] *= 2;
      size[v] = Math.ceil(size[v] / 2);
    }
    poolKernels.push(pk);
    convKernels.push(kernel.slice());
  }
  const divisibleBy = numPool.map((n) => 2 ** n);
  convKernels.push(Array(dim).fill(3));
  return { numPoolPerAxis: numPool, poolKernels, convKernels, patchSize: padShape(patch, divisibleBy), divisibleBy };
}

/**
 * nnU-Net's initial 3D patch: the aspect ratio of 1/spacing scaled to 256³ voxels, clipped to
 * the median resampled shape, then padded by its topology.
 */
export function initialPatch(spacing: number[], medianShape: number[]): { patch: number[]; topology: Topology } {
  const inv = spacing.map((s) => 1 / s);
  const f = (256 ** 3 / inv.reduce((a, b) => a * b, 1)) ** (1 / 3);
  const p = inv.map((x, i) => Math.min(pyRound(x * f), medianShape[i]));
  const topology = poolAndConvProps(spacing, p);
  return { patch: topology.patchSize, topology };
}

/** Python's round(): halves to even. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * nnU-Net's patch reduction step: shrink the axis that is largest relative to the median shape by
 * its divisibility step (recomputed after the first subtraction, as nnU-Net does).
 */
export function reducePatch(spacing: number[], patch: number[], medianShape: number[]): Topology {
  const ratios = patch.map((p, i) => p / medianShape[i]);
  // numpy argsort(...)[-1]: the last index among equal maxima
  let axis = 0;
  for (let i = 0; i < ratios.length; i++) if (ratios[i] >= ratios[axis]) axis = i;
  const cur = poolAndConvProps(spacing, patch);
  const tmp = patch.slice();
  tmp[axis] -= cur.divisibleBy[axis];
  const again = poolAndConvProps(spacing, tmp);
  const next = patch.slice();
  next[axis] -= again.divisibleBy[axis];
  return poolAndConvProps(spacing, next);
}
