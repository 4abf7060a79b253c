// Writes the planned MMAR: config/config_train.json (Clara 4.x form, built from the existing
// transforms, models and losses), config/environment.json, config/config_automl.json (TPE over
// the planned search space), config/datalist.json (the training/validation split) and
// plan/plan.json. Every file is written atomically.
import { join, relative, isAbsolute } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { Rng } from '../util/random.js';
import type { PlanDataset, PlanCase } from './dataset.js';
import type { Plan } from './planner.js';

type Obj = Record<string, unknown>;

/** Training and validation lists: the dataset's own when it has both, else a seeded 80/20 split (one case: the same case for both). */
function splitCases(ds: PlanDataset, seed = 0): { training: PlanCase[]; validation: PlanCase[]; reason: string } {
  const train = ds.cases.filter((c) => c.list === 'training');
  const val = ds.cases.filter((c) => c.list === 'validation');
  if (ds.hasValidation) {
    // a validation entry that repeats a training case was folded into it; keep the dataset's own lists
    const v = val.length ? val : train;
    return { training: train, validation: v, reason: 'the dataset\'s own "training" and "validation" lists' };
  }
  if (train.length === 1)
    return { training: train, validation: train, reason: 'one case: it is both trained and validated on (a demonstration, not a generalisation test)' };
  const idx = train.map((_, i) => i);
  const rng = new Rng(seed);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const nVal = Math.max(1, Math.round(train.length * 0.2));
  const vs = new Set(idx.slice(0, nVal));
  return {
    training: train.filter((_, i) => !vs.has(i)),
    validation: train.filter((_, i) => vs.has(i)),
    reason: `no "validation" list: ${nVal} of ${train.length} cases held out for validation (seeded shuffle, seed ${seed})`,
  };
}

function entry(c: PlanCase, root: string): Obj {
  const rel = (p: string) => (isAbsolute(p) && !relative(root, p).startsWith('..') ? relative(root, p) : p);
  return { image: c.images.length === 1 ? rel(c.images[0]) : c.images.map(rel), label: rel(c.label) };
}

export function trainConfig(plan: Plan): Obj {
  const keys = ['image', 'label'];
  const pre: Obj[] = [
    { name: 'LoadImaged', args: { keys } },
    { name: 'EnsureChannelFirstd', args: { keys } },
  ];
  if (plan.orientation.axcodes) pre.push({ name: 'Orientationd', args: { keys, axcodes: plan.orientation.axcodes } });
  if (plan.crop_foreground.enabled) pre.push({ name: 'CropForegroundd', args: { keys, source_key: 'image' } });
  if (plan.target_spacing.resample) pre.push({ name: 'Spacingd', args: { keys, pixdim: plan.target_spacing.value, mode: ['bilinear', 'nearest'] } });
  if (plan.normalization.transform) pre.push({ name: plan.normalization.transform.name, args: plan.normalization.transform.args });
  const nPre = pre.length;
  const patch = plan.patch_size.value;
  const outChannels = Object.keys(plan.dataset.labels).length;
  const train: Obj[] = [
    ...pre,
    { name: 'SpatialPadd', args: { keys, spatial_size: patch } },
    {
      name: 'RandCropByPosNegLabeld',
      args: { keys, label_key: 'label', spatial_size: patch, pos: 1, neg: 1, num_samples: plan.batch_size.num_samples, image_key: 'image', image_threshold: 0 },
    },
    { name: 'RandFlipd', args: { keys, prob: '{aug_prob}', spatial_axis: 0 } },
    { name: 'RandFlipd', args: { keys, prob: '{aug_prob}', spatial_axis: 1 } },
    { name: 'RandFlipd', args: { keys, prob: '{aug_prob}', spatial_axis: 2 } },
    { name: 'RandScaleIntensityd', args: { keys: 'image', factors: 0.1, prob: '{aug_prob}' } },
    { name: 'RandShiftIntensityd', args: { keys: 'image', offsets: 0.1, prob: '{aug_prob}' } },
    { name: 'ToTensord', args: { keys } },
  ];
  const lossArgs = { include_background: false, to_onehot_y: true, softmax: true };
  const dataset = (key: string) => ({
    name: 'CacheDataset',
    data_list_file_path: '{DATASET_JSON}',
    data_file_base_dir: '{DATA_ROOT}',
    data_list_key: key,
    args: { transform: '@pre_transforms', cache_rate: 1.0, num_workers: 2 },
  });
  const sw = plan.sliding_window;
  return {
    CLARA_TRAIN_VERSION: '4.1.0',
    epochs: plan.training.epochs,
    num_interval_per_valid: plan.training.val_interval,
    learning_rate: plan.training.learning_rate,
    use_amp: false,
    multi_gpu: false,
    determinism: { random_seed: 0 },
    dont_load_ckpt_model: true,
    aug_prob: 0.2,
    disableDiceLoss: false,
    disableDiceCELoss: true,
    disableDiceFocalLoss: true,
    search: [
      { domain: 'lr', type: 'float', args: ['learning_rate'], targets: plan.search.learning_rate, log: true },
      {
        domain: 'net',
        type: 'enum',
        args: ['disableDiceLoss', 'disableDiceCELoss', 'disableDiceFocalLoss'],
        targets: plan.search.losses.map((l) => plan.search.losses.map((m) => m !== l)),
      },
      { domain: 'transform', type: 'float', args: ['aug_prob'], targets: plan.search.aug_prob },
      { domain: 'net', type: 'enum', args: ['use_amp'], targets: plan.search.amp.map((a) => [a]) },
    ],
    train: {
      loss: [
        { apply: { '@disabled': 'disableDiceLoss' }, name: 'DiceLoss', args: lossArgs },
        { apply: { '@disabled': 'disableDiceCELoss' }, name: 'DiceCELoss', args: lossArgs },
        { apply: { '@disabled': 'disableDiceFocalLoss' }, name: 'DiceFocalLoss', args: lossArgs },
      ],
      optimizer: { name: 'Adam', args: { params: '#@model.parameters()', lr: '{learning_rate}' } },
      lr_scheduler: { name: 'CosineAnnealingLR', args: { optimizer: '@optimizer' } },
      model: {
        name: 'UNet',
        args: {
          spatial_dims: 3,
          in_channels: plan.dataset.channels.length,
          out_channels: outChannels,
          channels: plan.network.channels,
          strides: plan.network.strides,
          num_res_units: 0,
          norm: 'instance',
          act: 'relu',
        },
        // the width search sits on the component (a list is not a top-level variable); none when one width fits
        ...(plan.search.widths.length > 1
          ? { search: [{ domain: 'net', type: 'enum', args: ['channels'], targets: plan.search.widths.map((w) => [w]) }] }
          : {}),
      },
      pre_transforms: train,
      dataset: dataset('training'),
      dataloader: { name: 'DataLoader', args: { dataset: '@dataset', batch_size: plan.batch_size.loader_batch_size, shuffle: true, num_workers: 2 } },
      inferer: { name: 'SimpleInferer' },
      handlers: [
        { name: 'CheckpointLoader', disabled: '{dont_load_ckpt_model}', args: { load_path: '{MMAR_CKPT}', load_dict: { model: '@model' } } },
        { name: 'LrScheduleHandler', args: { lr_scheduler: '@lr_scheduler', print_lr: true } },
        { name: 'ValidationHandler', args: { validator: '@evaluator', epoch_level: true, interval: '{num_interval_per_valid}' } },
        { name: 'StatsHandler', rank: 0, args: { tag_name: 'train_loss', output_transform: "#monai.handlers.from_engine(['loss'], first=True)" } },
      ],
      post_transforms: [
        { name: 'Activationsd', args: { keys: 'pred', softmax: true } },
        { name: 'AsDiscreted', args: { keys: ['pred', 'label'], argmax: [true, false], to_onehot: outChannels } },
      ],
      trainer: {
        name: 'SupervisedTrainer',
        args: {
          max_epochs: '{epochs}',
          train_data_loader: '@dataloader',
          network: '@model',
          loss_function: '@loss',
          optimizer: '@optimizer',
          inferer: '@inferer',
          postprocessing: '@post_transforms',
          train_handlers: '@handlers',
          amp: '{use_amp}',
        },
      },
    },
    validate: {
      pre_transforms: [...pre.map((t) => ({ ref: t.name as string })).slice(0, nPre), { ref: 'ToTensord' }],
      dataset: dataset('validation'),
      dataloader: { name: 'DataLoader', args: { dataset: '@dataset', batch_size: 1, shuffle: false, num_workers: 2 } },
      inferer: {
        name: 'SlidingWindowInferer',
        args: { roi_size: sw.roi_size, sw_batch_size: sw.sw_batch_size, overlap: sw.overlap, mode: sw.mode, sigma_scale: sw.sigma_scale },
      },
      handlers: [
        { name: 'StatsHandler', rank: 0, args: { output_transform: 'lambda x: None' } },
        { name: 'CheckpointSaver', rank: 0, args: { save_dir: '{MMAR_CKPT_DIR}', save_dict: { model: '@model' }, save_key_metric: true } },
      ],
      post_transforms: [{ ref: 'Activationsd' }, { ref: 'AsDiscreted' }],
      key_metric: {
        name: 'MeanDice',
        log_label: 'val_mean_dice',
        args: { include_background: false, output_transform: "#monai.handlers.from_engine(['pred', 'label'])" },
      },
      evaluator: {
        name: 'SupervisedEvaluator',
        args: {
          val_data_loader: '@dataloader',
          network: '@model',
          inferer: '@inferer',
          postprocessing: '@post_transforms',
          key_val_metric: '@key_metric',
          val_handlers: '@handlers',
          amp: '{use_amp}',
        },
      },
    },
  };
}

export function automlConfig(plan: Plan, name: string): Obj {
  return {
    handlers: [
      { name: 'MMARHandler', args: { num_mmars_to_keep: 4, stop_threshold: 0.99, train_config_file: '{trainconf}', key_mmar_content_only: true } },
      { name: 'StatsHandler' },
      { name: 'MLflowHandler', args: { experiment_name: `clara-train-${name.replace(/[^\w.-]+/g, '-')}` } },
    ],
    executor: { name: 'MMARExecutor', args: {} },
    controller: {
      name: 'TPEController',
      args: { max_trials: plan.automl.jobs, max_rounds: plan.automl.max_rounds, max_jobs_per_round: plan.automl.max_jobs_per_round, seed: 0 },
    },
  };
}

/** Writes the MMAR's files under `dir` (which may already hold the fingerprint cache). */
export function writePlannedMmar(dir: string, ds: PlanDataset, plan: Plan): { files: string[]; split: ReturnType<typeof splitCases> } {
  const split = splitCases(ds);
  const files = {
    'config/config_train.json': trainConfig(plan),
    'config/config_automl.json': automlConfig(plan, ds.name),
    'config/environment.json': {
      DATA_ROOT: ds.root,
      DATASET_JSON: 'config/datalist.json',
      PROCESSING_TASK: 'segmentation',
      MMAR_EVAL_OUTPUT_PATH: 'eval',
      MMAR_CKPT_DIR: 'models',
      MMAR_CKPT: 'models/best',
    },
    'config/datalist.json': {
      name: ds.name,
      description: `planned by clara-train plan from ${ds.file}: ${split.reason}`,
      labels: plan.dataset.labels,
      modality: Object.fromEntries(plan.dataset.channels.map((c, i) => [String(i), c])),
      training: split.training.map((c) => entry(c, ds.root)),
      validation: split.validation.map((c) => entry(c, ds.root)),
    },
    'plan/plan.json': { ...plan, split: { training: split.training.length, validation: split.validation.length, reason: split.reason } },
  };
  for (const [rel, v] of Object.entries(files)) writeJsonAtomic(join(dir, rel), v);
  mkdirSync(join(dir, 'models'), { recursive: true });
  return { files: Object.keys(files), split };
}
