// nnU-Net's postprocessing decision, made on cross-validation predictions: for each
// foreground class, keep only its largest connected component (3-D, 26-connectivity) when
// that does not lower the class's mean Dice over the validation cases. The decision is a
// small JSON object kept with an ensemble (`best/postprocessing.json`) and applied by infer.
import { diceOfClass } from '../../metrics/dice.js';
import { keepLargestComponent } from './connected-components.js';

export interface PostprocessingDecision {
  /** Classes whose prediction keeps only the largest component. */
  largest_component_classes: number[];
  connectivity: 26;
  /** Mean Dice per class (over the cases whose label has it) without and with the rule, as decided. */
  per_class: { class: number; dice_before: number | null; dice_after: number | null; applied: boolean }[];
  /** Mean over classes of the per-class means, before and after the decided rule. */
  mean_dice_before: number | null;
  mean_dice_after: number | null;
  cases: number;
}

export interface PredictedCase {
  pred: Int32Array;
  label: Int32Array;
  shape: number[];
  /** Voxel spacing (mm) of the grid, for surface metrics. */
  spacing?: number[];
}

function meanDefined(xs: number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

const orNull = (x: number) => (Number.isFinite(x) ? x : null);

/** Decides, per foreground class 1..numClasses-1, whether keeping the largest component helps (ties keep it, as nnU-Net). */
export function decidePostprocessing(cases: PredictedCase[], numClasses: number): PostprocessingDecision {
  const per: PostprocessingDecision['per_class'] = [];
  const applied: number[] = [];
  for (let c = 1; c < numClasses; c++) {
    const before = meanDefined(cases.map((k) => diceOfClass(k.pred, k.label, c)));
    const after = meanDefined(cases.map((k) => diceOfClass(keepLargestComponent(k.pred, k.shape, [c]), k.label, c)));
    const use = Number.isFinite(before) && Number.isFinite(after) && after >= before;
    per.push({ class: c, dice_before: orNull(before), dice_after: orNull(use ? after : before), applied: use });
    if (use) applied.push(c);
  }
  const mb = meanDefined(per.map((p) => p.dice_before ?? NaN));
  const ma = meanDefined(per.map((p) => p.dice_after ?? NaN));
  return {
    largest_component_classes: applied,
    connectivity: 26,
    per_class: per,
    mean_dice_before: orNull(mb),
    mean_dice_after: orNull(ma),
    cases: cases.length,
  };
}

/** Applies a decision to one prediction. */
export function applyPostprocessing(pred: Int32Array, shape: number[], d: Pick<PostprocessingDecision, 'largest_component_classes'> | undefined): Int32Array {
  if (!d || d.largest_component_classes.length === 0) return pred;
  return keepLargestComponent(pred, shape, d.largest_component_classes, 26);
}
