// Registers the built-in losses (MONAI 4.x names and Clara 3.x names).
import { registry } from '../components/registry.js';
import {
  CLARA_DICE_ARGS,
  CLARA_FOCAL_ARGS,
  DICE_ARGS,
  DICE_CE_ARGS,
  DICE_FOCAL_ARGS,
  FOCAL_ARGS,
  claraDiceFactory,
  claraFocalFactory,
  diceCELossFactory,
  diceFocalLossFactory,
  diceLossFactory,
  focalLossFactory,
} from './factories.js';

registry.register({ names: ['DiceLoss', 'monai.losses.DiceLoss'], kind: 'loss', factory: diceLossFactory, args: DICE_ARGS, description: "MONAI's DiceLoss" });
registry.register({
  names: ['FocalLoss', 'monai.losses.FocalLoss'],
  kind: 'loss',
  factory: focalLossFactory,
  args: FOCAL_ARGS,
  description: "MONAI's FocalLoss",
});
registry.register({
  names: ['DiceCELoss', 'monai.losses.DiceCELoss'],
  kind: 'loss',
  factory: diceCELossFactory,
  args: DICE_CE_ARGS,
  description: "MONAI's DiceCELoss",
});
registry.register({
  names: ['DiceFocalLoss', 'DiceFocal', 'monai.losses.DiceFocalLoss'],
  kind: 'loss',
  factory: diceFocalLossFactory,
  args: DICE_FOCAL_ARGS,
  description: "MONAI's DiceFocalLoss",
});
registry.register({
  names: ['Dice'],
  kind: 'loss',
  factory: claraDiceFactory,
  args: CLARA_DICE_ARGS,
  description: 'Clara 3.x Dice (skip_background, is_onehot_targets, squared_pred)',
});
registry.register({ names: ['Focal'], kind: 'loss', factory: claraFocalFactory, args: CLARA_FOCAL_ARGS, description: 'Clara 3.x Focal' });
