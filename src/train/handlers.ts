// The handlers of Clara 4.x train configs (`train.handlers`, `validate.handlers`), MONAI's
// names, as registered factories of kind `handler`: each checks its args (MONAI's argument
// names; values by the one argument reader) and returns what it asks of clara-train's
// trainer. The trainer itself saves checkpoints, steps the lr schedule and writes metrics,
// so most handlers only set a value; TensorBoard and the segmentation saver are notices.
import { Args } from '../components/args.js';
import { ClaraError } from '../util/errors.js';

/** What a built train handler asks of the trainer. */
export type TrainHandler =
  | { does: 'validate'; interval?: number }
  | { does: 'load_checkpoint'; loadPath: string }
  | { does: 'save_checkpoints'; saveDir?: string }
  /** Done by the trainer as configured (lr stepping, stats, metric files); nothing to set. */
  | { does: 'built_in' }
  /** Not done here; one line says so. */
  | { does: 'notice'; notice: string };

type Place = { file: string; path: string };

const notice = (text: string) => (): TrainHandler => ({ does: 'notice', notice: text });

interface HandlerSpec {
  names: string[];
  description: string;
  /** MONAI's argument names (others are errors naming the JSON path); absent: any (notice-only handlers). */
  args?: string[];
  build: (a: Args, place: Place) => TrainHandler;
}

const builtIn = (): TrainHandler => ({ does: 'built_in' });
const monai = (n: string) => [n, `monai.handlers.${n}`];

export const TRAIN_HANDLERS: HandlerSpec[] = [
  {
    names: monai('CheckpointLoader'),
    description: 'loads load_path before training (finetune; a `last` checkpoint resumes)',
    args: ['load_path', 'load_dict', 'name', 'map_location', 'strict', 'strict_shape'],
    build: (a, place) => {
      const p = a.raw.load_path;
      if (typeof p !== 'string' || p === '')
        throw new ClaraError('CheckpointLoader needs load_path', { file: place.file, path: `${place.path}.args.load_path` });
      return { does: 'load_checkpoint', loadPath: p };
    },
  },
  {
    names: monai('CheckpointSaver'),
    description: 'best/last checkpoints in save_dir (always on)',
    args: [
      'save_dir',
      'save_dict',
      'name',
      'file_prefix',
      'save_final',
      'final_filename',
      'save_key_metric',
      'key_metric_name',
      'key_metric_n_saved',
      'key_metric_filename',
      'key_metric_save_state',
      'key_metric_greater_or_equal',
      'key_metric_negative_sign',
      'epoch_level',
      'save_interval',
      'n_saved',
    ],
    build: (a) => {
      const saveDir = a.optStr('save_dir');
      return saveDir ? { does: 'save_checkpoints', saveDir } : { does: 'save_checkpoints' };
    },
  },
  {
    // stepped by the trainer every iteration; the policy's own unit (its epoch_level arg) decides when it changes
    names: monai('LrScheduleHandler'),
    description: 'steps the lr scheduler (epoch_level)',
    args: ['lr_scheduler', 'print_lr', 'name', 'epoch_level', 'step_transform'],
    build: builtIn,
  },
  {
    names: monai('ValidationHandler'),
    description: 'validation every `interval` epochs',
    args: ['interval', 'validator', 'epoch_level', 'exec_at_start'],
    build: (a) => {
      const interval = a.optNum('interval', { int: true, min: 1 });
      return interval === undefined ? { does: 'validate' } : { does: 'validate', interval };
    },
  },
  {
    names: monai('StatsHandler'),
    description: 'per-iteration and per-epoch lines (the trainer logs them)',
    args: [
      'iteration_log',
      'epoch_log',
      'epoch_print_logger',
      'iteration_print_logger',
      'output_transform',
      'global_epoch_transform',
      'state_attributes',
      'name',
      'tag_name',
      'key_var_format',
      'logger_handler',
    ],
    build: builtIn,
  },
  {
    names: monai('MetricsSaver'),
    description: 'metrics go to models/train_stats.json and eval/metrics.json',
    args: ['save_dir', 'metrics', 'metric_details', 'batch_transform', 'summary_ops', 'save_rank', 'delimiter', 'output_type'],
    build: builtIn,
  },
  {
    names: monai('EarlyStopHandler'),
    description: 'accepted, not applied',
    args: ['patience', 'score_function', 'trainer', 'min_delta', 'cumulative_delta', 'epoch_level'],
    build: builtIn,
  },
  {
    names: monai('TensorBoardStatsHandler'),
    description: 'no TensorBoard here (one-line notice)',
    build: notice('TensorBoard is not written here; per-epoch metrics go to models/train_stats.json (and to MLflow when MLFLOW_TRACKING_URI is set)'),
  },
  {
    names: monai('TensorBoardImageHandler'),
    description: 'no TensorBoard here (one-line notice)',
    build: notice('TensorBoard images are not written here'),
  },
  {
    names: monai('SegmentationSaver'),
    description: 'predictions are written by clara-train infer (one-line notice)',
    build: notice('validation predictions are written by `clara-train infer`, not during training'),
  },
];
