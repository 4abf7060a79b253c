// The key metric of a job's validation metrics: the named one when present, else the
// first `val_*` metric, else the first that is not the loss or the learning rate.

export function keyMetricOf(metrics: Record<string, number>, name?: string): number | undefined {
  if (name && typeof metrics[name] === 'number') return metrics[name];
  const k = Object.keys(metrics).find((m) => m.startsWith('val_')) ?? Object.keys(metrics).find((m) => m !== 'lr' && m !== 'train_loss');
  return k !== undefined ? metrics[k] : undefined;
}
