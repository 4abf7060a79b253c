// Registers the built-in metrics. A 4.x component's log_label (or args.log_label / 3.x args.name)
// becomes the metric's name; MeanDice defaults to `val_mean_dice`, Accuracy to `val_acc`.
import type { BuildContext } from '../components/registry.js';
import { registry } from '../components/registry.js';
import { Args } from '../components/args.js';
import { Accuracy } from './accuracy.js';
import { MeanDice } from './mean-dice.js';
import { metricLogName } from './metric.js';

// 4.x configs pass MONAI's from_engine output_transform; it is what the evaluator does anyway.
const IGNORED = ['output_transform', 'log_label', 'name', 'save_details', 'is_key_metric'];

/** The component's log_label (4.x, beside args), else args.log_label / args.name (3.x), else the default. */
function logName(raw: Record<string, unknown>, ctx: BuildContext, dflt: string): string {
  return metricLogName({ log_label: ctx.extra?.log_label, args: raw }, dflt);
}

export function meanDiceFactory(raw: Record<string, unknown>, ctx: BuildContext): MeanDice {
  const a = new Args(raw, ctx);
  if (a.has('reduction') && a.str('reduction', 'mean') !== 'mean') a.fail('reduction', '"mean" (per-class values are available from perClass())');
  return new MeanDice({
    name: logName(raw, ctx, 'val_mean_dice'),
    includeBackground: a.bool('include_background', true),
    ignoreEmpty: a.bool('ignore_empty', true),
    numClasses: a.optNum('num_classes', { int: true, min: 1 }),
    threshold: a.bool('threshold', false),
    activate: a.bool('activate', false),
  });
}

export function accuracyFactory(raw: Record<string, unknown>, ctx: BuildContext): Accuracy {
  const a = new Args(raw, ctx);
  return new Accuracy({
    name: logName(raw, ctx, 'val_acc'),
    threshold: a.bool('threshold', false),
    activate: a.bool('activate', false),
  });
}

registry.register({
  names: ['MeanDice', 'DiceMetric', 'monai.handlers.MeanDice', 'monai.metrics.DiceMetric'],
  kind: 'metric',
  factory: meanDiceFactory,
  args: ['include_background', 'ignore_empty', 'num_classes', 'reduction', 'threshold', 'activate', ...IGNORED],
  description: "MONAI's mean Dice (empty ground truth ignored)",
});
registry.register({
  names: ['Accuracy', 'monai.handlers.Accuracy'],
  kind: 'metric',
  factory: accuracyFactory,
  args: ['threshold', 'activate', ...IGNORED],
  description: 'voxel accuracy',
});

// HausdorffDistance, SurfaceDice (surface distances in physical spacing)
import './surface-config.js';
