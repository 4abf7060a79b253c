// The one Dice: 2|P∩G| / (|P| + |G|) of one class between two class-index maps, with
// MONAI's rule for an empty ground truth (ignore_empty: NaN, left out of means; otherwise
// 1 when the prediction is empty too, else 0). The evaluator and MeanDice both use it.

export function diceOfClass(pred: ArrayLike<number>, label: ArrayLike<number>, c: number, ignoreEmpty = true): number {
  let inter = 0,
    p = 0,
    g = 0;
  for (let i = 0; i < pred.length; i++) {
    const a = pred[i] === c,
      b = label[i] === c;
    if (a) p++;
    if (b) g++;
    if (a && b) inter++;
  }
  if (g === 0) return ignoreEmpty ? NaN : p === 0 ? 1 : 0;
  return (2 * inter) / (p + g);
}
