// From a fingerprint to a plan (plan.json): target spacing, orientation, normalisation, patch
// size and network depth, batch size fitted to a memory budget by measuring training steps on
// the engine's backend, sliding-window settings, epochs and the search space. Every choice
// carries the reason it was made.
import { ioOrientation } from '../transforms/geometry.js';
import { ClaraError } from '../util/errors.js';
import type { CaseFingerprint } from './case-stats.js';
import type { Fingerprint, PooledChannelStats } from './fingerprint.js';
import { median } from './fingerprint.js';
import { MIN_FEATURE_MAP, initialPatch, poolAndConvProps, reducePatch, resampledShape, targetSpacing, type Topology } from './topology.js';
import type { StepMeasurement, StepSpec } from './measure-step.js';

const PLAN_VERSION = 1;
const GiB = 2 ** 30;

export interface PlanOptions {
  /** Overrides dataset.json's modality for every channel (CT, MR, ...). */
  modality?: string;
  /** Memory budget for one training step, bytes. */
  memoryBudgetBytes: number;
  /** UNet channels at the first level (nnU-Net: 32). */
  baseFeatures: number;
  /** Training iterations the epoch count aims at. */
  targetIterations: number;
  /** The backend the measurements run on (recorded in the plan). */
  backend: string;
  /** Runs one measured training step (src/plan/measure-step.ts). */
  measure: (s: StepSpec) => Promise<StepMeasurement>;
  log?: (s: string) => void;
}

export interface Normalisation {
  scheme: 'CTNormalization' | 'ZScoreNormalization' | 'NoNormalization';
  channels: string[];
  transform: { name: string; args: Record<string, unknown> } | null;
  reason: string;
}

export interface Plan {
  version: number;
  dataset: { name: string; file: string; cases: number; training: number; channels: string[]; labels: Record<string, string> };
  backend: string;
  orientation: { axcodes: string | null; reason: string };
  crop_foreground: { enabled: boolean; reason: string };
  target_spacing: { value: number[]; resample: boolean; reason: string };
  median_shape_resampled: number[];
  normalization: Normalisation;
  network: { name: 'UNet'; channels: number[]; strides: number[]; reason: string };
  patch_size: { value: number[]; reason: string };
  batch_size: { value: number; num_samples: number; loader_batch_size: number; reason: string };
  memory: {
    budget_bytes: number;
    predicted_bytes: number;
    measured_bytes: number;
    fit: { fixed_bytes: number; bytes_per_voxel: number };
    measurements: StepMeasurement[];
    reason: string;
  };
  sliding_window: { roi_size: number[]; overlap: number; mode: 'gaussian'; sigma_scale: number; sw_batch_size: number; reason: string };
  training: { epochs: number; iterations_per_epoch: number; val_interval: number; learning_rate: number; reason: string };
  search: { widths: number[][]; learning_rate: [number, number]; aug_prob: [number, number]; losses: string[]; amp: boolean[]; reason: string };
  automl: { jobs: number; max_rounds: number; max_jobs_per_round: number; estimated_minutes_per_job: number; estimated_minutes: number; reason: string };
  /** What nnU-Net v2's rules give on the same fingerprint (for comparison; see README). */
  nnunet: {
    target_spacing: number[];
    median_shape_after_crop_resampled: number[];
    patch_size: number[];
    num_pool_per_axis: number[];
    normalization: string;
    use_mask_for_norm: boolean;
  };
}

const r4 = (v: number[]) => v.map((x) => +x.toFixed(4));

/** nnU-Net's normalisation scheme for a channel name (casefolded): CT, nonorm, zscore (the default). */
function schemeFor(name: string): Normalisation['scheme'] {
  const n = name.toLowerCase();
  if (n === 'ct') return 'CTNormalization';
  if (n === 'nonorm') return 'NoNormalization';
  return 'ZScoreNormalization';
}

/** Per-case geometry in the axis order the pipeline trains in (RAS when Orientationd runs). */
function caseGeometry(c: CaseFingerprint, reorient: boolean): { spacing: number[]; shape: number[]; cropped: number[] } {
  if (!reorient) return { spacing: c.spacing, shape: c.shape, cropped: c.nonzeroBoxSize };
  const o = ioOrientation(c.affine);
  const spacing = [0, 0, 0],
    shape = [0, 0, 0],
    cropped = [0, 0, 0];
  o.forEach(([w], v) => {
    spacing[w] = c.spacing[v];
    shape[w] = c.shape[v];
    cropped[w] = c.nonzeroBoxSize[v];
  });
  return { spacing, shape, cropped };
}

function normalisation(fp: Fingerprint, channels: string[], useMask: boolean): Normalisation {
  const schemes = channels.map(schemeFor);
  const stats = fp.summary!.intensity;
  if (schemes.every((s) => s === 'NoNormalization')) {
    return { scheme: 'NoNormalization', channels, transform: null, reason: 'every channel is named "nonorm": intensities are used as they are' };
  }
  if (schemes.every((s) => s === 'ZScoreNormalization')) {
    return {
      scheme: 'ZScoreNormalization',
      channels,
      transform: { name: 'NormalizeIntensityd', args: { keys: 'image', nonzero: useMask, channel_wise: true } },
      reason:
        `channels ${channels.map((c) => `"${c}"`).join(', ')} are not CT: per-image z-score per channel (nnU-Net's ZScoreNormalization)` +
        (useMask
          ? "; the non-zero region is under 3/4 of the image (median over cases), so only non-zero voxels are normalised and the rest stay 0 (nnU-Net's use_mask_for_norm)"
          : ''),
    };
  }
  if (channels.length === 1 && schemes[0] === 'CTNormalization') {
    const s = stats[0] as PooledChannelStats | null;
    if (!s) throw new ClaraError('CT normalisation needs foreground voxels, and no case has any', { file: fp.dataset.file, path: 'labels' });
    const std = Math.max(s.std, 1e-8);
    const args = {
      keys: 'image',
      a_min: +s.percentile_00_5.toFixed(4),
      a_max: +s.percentile_99_5.toFixed(4),
      b_min: +((s.percentile_00_5 - s.mean) / std).toFixed(6),
      b_max: +((s.percentile_99_5 - s.mean) / std).toFixed(6),
      clip: true,
    };
    return {
      scheme: 'CTNormalization',
      channels,
      transform: { name: 'ScaleIntensityRanged', args },
      reason:
        `CT: clip to the foreground 0.5-99.5 percentiles [${args.a_min}, ${args.a_max}] then z-score with the foreground mean ${s.mean.toFixed(3)} and std ${s.std.toFixed(3)} ` +
        "(nnU-Net's CTNormalization), written as one linear ScaleIntensityRanged",
    };
  }
  throw new ClaraError(
    `mixed normalisation schemes per channel (${schemes.join(', ')}) are not supported yet: give every channel the same kind with --modality`,
    { file: fp.dataset.file, path: 'modality' },
  );
}

const vox = (p: number[]) => p.reduce((a, b) => a * b, 1);

/** Our UNet's depth for a patch: the fewest poolings nnU-Net's topology gives any axis (strides are isotropic), at least 1, at most 5. */
function unetFor(spacing: number[], patch: number[], base: number): { channels: number[]; strides: number[]; topology: Topology; patch: number[] } {
  const topology = poolAndConvProps(spacing, patch);
  const depth = Math.max(1, Math.min(5, ...topology.numPoolPerAxis));
  const div = 2 ** depth;
  const padded = patch.map((p) => Math.max(div * 2, Math.ceil(p / div) * div));
  const channels = Array.from({ length: depth + 1 }, (_, i) => Math.min(320, base * 2 ** i));
  return { channels, strides: Array(depth).fill(2), topology, patch: padded };
}

/**
 * What nnU-Net v2's rules give on this fingerprint, on the voxel axes as stored (nnU-Net does not
 * reorient): target spacing, median resampled shape after the non-zero crop, the unreduced patch
 * and its poolings, the normalisation scheme and use_mask_for_norm.
 */
export function nnunetReference(fp: Fingerprint, channels: string[]): Plan['nnunet'] {
  const s = fp.summary!;
  const ts = targetSpacing(
    fp.cases.map((c) => c.spacing),
    fp.cases.map((c) => c.nonzeroBoxSize),
  );
  const shape = [0, 1, 2].map((a) => median(fp.cases.map((c) => resampledShape(c.nonzeroBoxSize, c.spacing, ts.spacing)[a])));
  const nn = initialPatch(ts.spacing, shape);
  const scheme = schemeFor(channels[0]);
  return {
    target_spacing: r4(ts.spacing),
    median_shape_after_crop_resampled: shape,
    patch_size: nn.patch,
    num_pool_per_axis: nn.topology.numPoolPerAxis,
    normalization: scheme,
    use_mask_for_norm: s.medianRelativeSizeAfterCrop < 0.75 && scheme === 'ZScoreNormalization',
  };
}

export async function makePlan(fp: Fingerprint, o: PlanOptions): Promise<Plan> {
  const log = o.log ?? (() => {});
  const s = fp.summary;
  if (!s || fp.cases.length === 0) throw new ClaraError('no case could be analysed', { file: fp.dataset.file });
  const channels = o.modality ? fp.dataset.channels.map(() => o.modality!) : fp.dataset.channels;
  const nIn = channels.length;
  const nOut = Object.keys(fp.dataset.labels).length;
  const nTrain = fp.cases.filter((c) => c.list === 'training').length;

  // Orientation: reorient only when the cases disagree.
  const orients = Object.keys(s.orientations);
  const reorient = orients.length > 1;
  const orientation = reorient
    ? {
        axcodes: 'RAS',
        reason: `cases come in ${orients.length} orientations (${Object.entries(s.orientations)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')}): Orientationd to RAS so every case shares its axes`,
      }
    : { axcodes: null, reason: `every case is ${orients[0]}: no reorientation` };
  const geo = fp.cases.map((c) => caseGeometry(c, reorient));

  // Target spacing (nnU-Net: median, anisotropy rule), on the non-zero-cropped shapes.
  const ts = targetSpacing(
    geo.map((g) => g.spacing),
    geo.map((g) => g.cropped),
  );
  const resample = geo.some((g) => g.spacing.some((x, i) => Math.abs(x - ts.spacing[i]) > 1e-3 * ts.spacing[i]));
  const useMask = s.medianRelativeSizeAfterCrop < 0.75;
  const crop = {
    enabled: useMask,
    reason:
      `the non-zero region is ${(100 * s.medianRelativeSizeAfterCrop).toFixed(1)} % of the image (median over cases)` +
      (useMask ? ': CropForegroundd crops to it (nnU-Net crops every case to its non-zero box)' : ': cropping would save little, so no CropForegroundd'),
  };
  const shapes = geo.map((g) => resampledShape(crop.enabled ? g.cropped : g.shape, g.spacing, ts.spacing));
  const medShape = [0, 1, 2].map((a) => median(shapes.map((x) => x[a])));
  const nn = nnunetReference(fp, channels);
  const norm = normalisation(fp, channels, useMask);

  // Patch, depth and batch size against the memory budget: measure, fit, shrink, confirm.
  const budget = o.memoryBudgetBytes;
  const measurements: StepMeasurement[] = [];
  const fits = new Map<string, { fixed: number; perVoxel: number }>();
  const calibrate = async (chs: number[], strides: number[]) => {
    const key = chs.join(',');
    const hit = fits.get(key);
    if (hit) return hit;
    // Large enough that activations dominate (at 16³ fixed buffers hide them), small enough to be quick: 32³-64³.
    const div = 2 ** strides.length;
    const p = Array(3).fill(Math.ceil(Math.min(64, Math.max(32, 4 * div)) / div) * div);
    const spec = { inChannels: nIn, outChannels: nOut, channels: chs, strides, patch: p };
    const m1 = await o.measure({ ...spec, batch: 1 });
    const m2 = await o.measure({ ...spec, batch: 2 });
    measurements.push(m1, m2);
    const perVoxel = Math.max(1, (m2.peakBytes - m1.peakBytes) / vox(p));
    const fit = { fixed: Math.max(0, m1.peakBytes - perVoxel * vox(p)), perVoxel };
    log(`measured UNet ${key} at ${p.join('x')}: ${(m1.peakBytes / 2 ** 20).toFixed(1)} MiB (batch 1), ${(m2.peakBytes / 2 ** 20).toFixed(1)} MiB (batch 2)`);
    fits.set(key, fit);
    return fit;
  };
  const predict = (f: { fixed: number; perVoxel: number }, patch: number[], batch: number) => f.fixed + f.perVoxel * vox(patch) * batch;

  let patch = initialPatch(ts.spacing, medShape).patch;
  const start = patch.slice();
  let net = unetFor(ts.spacing, patch, o.baseFeatures);
  let fit = await calibrate(net.channels, net.strides);
  let reductions = 0;
  while (predict(fit, net.patch, 2) > budget) {
    if (patch.every((p) => p <= 2 * MIN_FEATURE_MAP)) {
      throw new ClaraError(
        `the memory budget ${(budget / GiB).toFixed(2)} GiB is below what the smallest patch ${net.patch.join('x')} needs at batch 2 (${(predict(fit, net.patch, 2) / GiB).toFixed(2)} GiB measured and extrapolated)`,
        { path: '--memory-budget' },
      );
    }
    patch = reducePatch(ts.spacing, patch, medShape).patchSize;
    reductions++;
    net = unetFor(ts.spacing, patch, o.baseFeatures);
    fit = await calibrate(net.channels, net.strides);
  }
  // Batch: as many patches as the budget holds, at most 5 % of the dataset's voxels per step (nnU-Net), at least 2.
  const datasetVoxels = vox(medShape) * nTrain;
  const cover = Math.round((datasetVoxels * 0.05) / vox(net.patch));
  let batch = 2;
  while (batch < 64 && predict(fit, net.patch, batch + 1) <= budget && batch + 1 <= cover) batch++;
  // Confirm with one real step at the chosen size; shrink while it does not fit.
  const measureChosen = async () => {
    const m = await o.measure({ inChannels: nIn, outChannels: nOut, channels: net.channels, strides: net.strides, patch: net.patch, batch });
    measurements.push(m);
    log(
      `measured UNet ${net.channels.join(',')} at ${net.patch.join('x')} batch ${batch}: ${(m.peakBytes / 2 ** 20).toFixed(1)} MiB (budget ${(budget / 2 ** 20).toFixed(0)} MiB)`,
    );
    return m;
  };
  let confirm = await measureChosen();
  while (confirm.peakBytes > budget && (batch > 2 || !net.patch.every((p) => p <= 2 * MIN_FEATURE_MAP))) {
    if (batch > 2) batch--;
    else {
      patch = reducePatch(ts.spacing, patch, medShape).patchSize;
      reductions++;
      net = unetFor(ts.spacing, patch, o.baseFeatures);
    }
    confirm = await measureChosen();
  }
  if (confirm.peakBytes > budget) {
    throw new ClaraError(
      `the memory budget ${(budget / GiB).toFixed(2)} GiB is below the measured peak of the smallest plan (${(confirm.peakBytes / GiB).toFixed(2)} GiB)`,
      { path: '--memory-budget' },
    );
  }
  const numSamples = batch % 2 === 0 ? 2 : 1;
  const loaderBatch = batch / numSamples;

  // Search space sized to the budget: widths whose measured-and-extrapolated step still fits.
  const widths: number[][] = [];
  for (const f of [0.5, 1, 2]) {
    const b = Math.max(2, Math.round(o.baseFeatures * f));
    const chs = net.channels.map((_, i) => Math.min(320, b * 2 ** i));
    if (widths.some((w) => w[0] === chs[0])) continue;
    if (f === 1 || predict(await calibrate(chs, net.strides), net.patch, batch) <= budget) widths.push(chs);
  }
  const itersPerEpoch = Math.max(1, Math.ceil(nTrain / loaderBatch));
  const epochs = Math.max(5, Math.min(1000, Math.ceil(o.targetIterations / itersPerEpoch)));
  const valInterval = Math.max(1, Math.round(epochs / 5));
  const lr = 3e-3;
  const stepMs = confirm.ms;
  const minutesPerJob = (stepMs * itersPerEpoch * epochs) / 60000;
  // Three jobs per searched dimension (learning rate, loss, augmentation, AMP, and width when more than one fits), in rounds of two.
  const dims = 4 + (widths.length > 1 ? 1 : 0);
  const perRound = 2;
  const jobs = Math.min(32, Math.max(8, perRound * Math.ceil((3 * dims) / perRound)));

  return {
    version: PLAN_VERSION,
    dataset: { name: fp.dataset.name, file: fp.dataset.file, cases: fp.cases.length, training: nTrain, channels, labels: fp.dataset.labels },
    backend: o.backend,
    orientation,
    crop_foreground: crop,
    target_spacing: {
      value: r4(ts.spacing),
      resample,
      reason:
        ts.reason + (resample ? '; Spacingd resamples every case to it (trilinear image, nearest label)' : '; every case is already at it, so no Spacingd'),
    },
    median_shape_resampled: medShape,
    normalization: norm,
    network: {
      name: 'UNet',
      channels: net.channels,
      strides: net.strides,
      reason:
        `MONAI UNet with ${net.strides.length} down-samplings: the fewest poolings nnU-Net's topology gives any patch axis ([${net.topology.numPoolPerAxis.join(', ')}]; our UNet's strides are isotropic), ` +
        `${o.baseFeatures} features at the first level doubling per level (cap 320)`,
    },
    patch_size: {
      value: net.patch,
      reason:
        `nnU-Net's initial patch for spacing [${r4(ts.spacing).join(', ')}] and median resampled shape [${medShape.join(', ')}] is [${start.join(', ')}]` +
        (reductions
          ? `; reduced ${reductions} time(s) by nnU-Net's rule (the axis largest relative to the median shape) until one step fits ${(budget / GiB).toFixed(2)} GiB`
          : '; it fits the memory budget as it is') +
        `; rounded to a multiple of 2^${net.strides.length} per axis`,
    },
    batch_size: {
      value: batch,
      num_samples: numSamples,
      loader_batch_size: loaderBatch,
      reason:
        `the most patches whose measured step fits ${(budget / GiB).toFixed(2)} GiB` +
        `, capped at 5 % of the dataset's voxels per step (${cover} patches, nnU-Net's rule), at least 2` +
        (numSamples === 2 ? `: ${loaderBatch} image(s) per batch x 2 crops each` : ''),
    },
    memory: {
      budget_bytes: budget,
      predicted_bytes: Math.round(predict(fit, net.patch, batch)),
      measured_bytes: confirm.peakBytes,
      fit: { fixed_bytes: Math.round(fit.fixed), bytes_per_voxel: +fit.perVoxel.toFixed(2) },
      measurements,
      reason:
        `peak tensor memory of one forward + backward + Adam step measured on ${o.backend} (tf.profile): ` +
        `two small steps give fixed bytes (weights, optimizer state) and bytes per patch voxel; the chosen size was then measured at ` +
        `${(confirm.peakBytes / 2 ** 20).toFixed(1)} MiB (budget ${(budget / 2 ** 20).toFixed(0)} MiB)`,
    },
    sliding_window: {
      roi_size: net.patch,
      overlap: 0.5,
      mode: 'gaussian',
      sigma_scale: 0.125,
      sw_batch_size: Math.min(4, batch),
      reason:
        "windows of the training patch size, half overlapping, Gaussian-weighted with sigma 1/8 of the window (nnU-Net's tile_step_size 0.5 and Gaussian importance map)",
    },
    training: {
      epochs,
      iterations_per_epoch: itersPerEpoch,
      val_interval: valInterval,
      learning_rate: lr,
      reason:
        `${nTrain} training case(s) at ${loaderBatch} per batch = ${itersPerEpoch} iteration(s) per epoch; ${epochs} epochs reach about ${o.targetIterations} iterations ` +
        `(--iterations); Adam at ${lr} with cosine annealing; validation every ${valInterval} epoch(s)`,
    },
    search: {
      widths,
      learning_rate: [+(lr / 10).toPrecision(2), +(lr * 3).toPrecision(2)],
      aug_prob: [0, 0.5],
      losses: ['DiceLoss', 'DiceCELoss', 'DiceFocalLoss'],
      amp: [false, true],
      reason:
        `learning rate over a decade and a half around ${lr} (log scale); loss Dice, Dice+CE or Dice+Focal; first-level width ` +
        `${widths.map((w) => w[0]).join(' / ')} (wider ones only where the measured step still fits the budget); augmentation probability 0-0.5; AMP off/on`,
    },
    automl: {
      jobs,
      max_rounds: jobs / perRound,
      max_jobs_per_round: perRound,
      estimated_minutes_per_job: +minutesPerJob.toFixed(1),
      estimated_minutes: +((minutesPerJob * jobs) / perRound).toFixed(1),
      reason:
        `TPE over ${jobs} jobs (about 3 per searched dimension, ${dims} dimensions; ${jobs / perRound} rounds of ${perRound}, one per worker of workers=cpu:cpu or two GPUs), ` +
        `each ${epochs} epochs x ${itersPerEpoch} iterations at the measured ${(stepMs / 1000).toFixed(2)} s per step ≈ ${minutesPerJob.toFixed(1)} min (data loading and validation not counted)`,
    },
    nnunet: nn,
  };
}
