// The training engine's config names: Clara/MONAI trainers, evaluators and handlers, and the
// 3.x metric/aux-op pair. The trainer reads these blocks itself (build-setup.ts); registering
// them makes the names known to `config check` and lets the config builder resolve
// `@evaluator`-style references to a plain description.
import { registry, type ComponentKind } from '../config/registry.js';

export interface EngineBlock {
  component: string;
  kind: ComponentKind;
  args: Record<string, unknown>;
}

const SPECS: { names: string[]; kind: ComponentKind; description: string }[] = [
  { names: ['SupervisedTrainer', 'monai.engines.SupervisedTrainer'], kind: 'trainer', description: 'the training loop (max_epochs, amp, ... read by clara-train train)' },
  { names: ['SupervisedEvaluator', 'monai.engines.SupervisedEvaluator'], kind: 'evaluator', description: 'validation: the validate section\'s data, inferer and metrics' },
  { names: ['CheckpointLoader', 'monai.handlers.CheckpointLoader'], kind: 'handler', description: 'loads load_path before training (finetune; a `last` checkpoint resumes)' },
  { names: ['CheckpointSaver', 'monai.handlers.CheckpointSaver'], kind: 'handler', description: 'best/last checkpoints in save_dir (always on)' },
  { names: ['LrScheduleHandler', 'monai.handlers.LrScheduleHandler'], kind: 'handler', description: 'steps the lr scheduler (epoch_level)' },
  { names: ['ValidationHandler', 'monai.handlers.ValidationHandler'], kind: 'handler', description: 'validation every `interval` epochs' },
  { names: ['MetricsSaver', 'monai.handlers.MetricsSaver'], kind: 'handler', description: 'metrics go to models/train_stats.json and eval/metrics.json' },
  { names: ['EarlyStopHandler', 'monai.handlers.EarlyStopHandler'], kind: 'handler', description: 'accepted, not applied' },
  { names: ['TensorBoardStatsHandler', 'monai.handlers.TensorBoardStatsHandler'], kind: 'handler', description: 'no TensorBoard here (one-line notice)' },
  { names: ['TensorBoardImageHandler', 'monai.handlers.TensorBoardImageHandler'], kind: 'handler', description: 'no TensorBoard here (one-line notice)' },
  { names: ['SegmentationSaver', 'monai.handlers.SegmentationSaver'], kind: 'handler', description: 'predictions are written by clara-train infer (one-line notice)' },
  { names: ['ComputeAverage'], kind: 'metric', description: 'Clara 3.x: the mean over cases of an aux op\'s field (Dice)' },
  { names: ['DiceMaskedOutput'], kind: 'aux_op', description: 'Clara 3.x: per-case Dice for ComputeAverage' },
];

for (const s of SPECS) {
  if (s.names.some((n) => registry.has(n, s.kind))) continue;
  registry.register({ names: s.names, kind: s.kind, description: s.description, factory: (args): EngineBlock => ({ component: s.names[0], kind: s.kind, args }) });
}
