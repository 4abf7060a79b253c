// The surface metrics as config components (validate.metrics / key_metric /
// additional_metrics): MONAI's HausdorffDistance(Metric) and SurfaceDice(Metric) names.
//   {"name": "HausdorffDistance", "log_label": "val_hd95", "args": {"percentile": 95, "include_background": false}}
//   {"name": "SurfaceDiceMetric", "log_label": "val_nsd", "args": {"class_thresholds": [2.0], "include_background": false}}
import { Args } from '../components/args.js';
import { registry, type BuildContext } from '../components/registry.js';
import type { CaseMetric } from '../components/contracts.js';
import { hausdorffMetric, surfaceDiceMetric } from './surface-metrics.js';

const HD = ['HausdorffDistance', 'HausdorffDistanceMetric', 'monai.handlers.HausdorffDistance', 'monai.metrics.HausdorffDistanceMetric'];
const NSD = ['SurfaceDice', 'SurfaceDiceMetric', 'monai.handlers.SurfaceDice', 'monai.metrics.SurfaceDiceMetric'];
const COMMON = ['include_background', 'reduction', 'get_not_nans', 'output_transform', 'log_label', 'name', 'save_details', 'is_key_metric'];

function checkArgs(a: Args, known: string[]): void {
  for (const k of Object.keys(a.raw)) if (!known.includes(k)) a.fail(k, `one of the known args (${known.join(', ')})`);
  if (a.has('reduction') && a.str('reduction', 'mean') !== 'mean') a.fail('reduction', '"mean"');
  if (a.has('distance_metric') && a.str('distance_metric', 'euclidean') !== 'euclidean') a.fail('distance_metric', '"euclidean"');
}

/** The metric for a config component named `name`, or undefined when the name is not a surface metric. */
export function surfaceMetricFromConfig(
  name: string,
  raw: Record<string, unknown>,
  label: string | undefined,
  place: { file: string; path: string },
): CaseMetric | undefined {
  const a = new Args(raw, place);
  if (HD.includes(name)) {
    checkArgs(a, [...COMMON, 'percentile', 'directed', 'distance_metric']);
    if (a.bool('directed', false)) a.fail('directed', 'false (the symmetric distance)');
    const percentile = a.has('percentile') ? a.num('percentile', 95, { min: 0, max: 100 }) : undefined;
    return hausdorffMetric({
      name: label ?? (percentile === undefined ? 'val_hd' : `val_hd${percentile}`),
      percentile,
      includeBackground: a.bool('include_background', false),
    });
  }
  if (NSD.includes(name)) {
    checkArgs(a, [...COMMON, 'class_thresholds', 'tolerance', 'distance_metric', 'use_subvoxels']);
    if (a.bool('use_subvoxels', false)) a.fail('use_subvoxels', 'false (voxel counts, not sub-voxel areas)');
    const t = a.pick('class_thresholds', 'tolerance');
    let tolerance: number | number[] = 1;
    if (t) {
      const [k, v] = t;
      const list = Array.isArray(v) ? v : [v];
      if (!list.length || list.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0))
        a.fail(k, 'a tolerance in mm (a number >= 0, or one per class)');
      tolerance = list.length === 1 ? (list[0] as number) : (list as number[]);
    }
    return surfaceDiceMetric({ name: label ?? 'val_nsd', tolerance, includeBackground: a.bool('include_background', false) });
  }
  return undefined;
}

function labelOf(raw: Record<string, unknown>, ctx: BuildContext): string | undefined {
  const l = ctx.extra?.log_label ?? raw.log_label;
  return typeof l === 'string' && l ? l : undefined;
}

registry.register({
  names: HD,
  kind: 'metric',
  factory: (raw, ctx) => surfaceMetricFromConfig(HD[0], raw, labelOf(raw, ctx), ctx),
  args: [...COMMON, 'percentile', 'directed', 'distance_metric'],
  description: "MONAI's Hausdorff distance per class in mm (percentile 95 → val_hd95; lower is better)",
});
registry.register({
  names: NSD,
  kind: 'metric',
  factory: (raw, ctx) => surfaceMetricFromConfig(NSD[0], raw, labelOf(raw, ctx), ctx),
  args: [...COMMON, 'class_thresholds', 'tolerance', 'distance_metric', 'use_subvoxels'],
  description: "MONAI's normalised surface Dice at a tolerance in mm (val_nsd)",
});
