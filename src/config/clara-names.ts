// Clara 3.x (TensorFlow) and 4.x (MONAI) names of the same component. Areas register one
// implementation under every name of its group: `registry.register({ names: claraNames('DiceLoss'), ... })`.
// 3.x args differ from 4.x ones (fields/keys, probability/prob); each factory maps its own.

export const CLARA_NAME_GROUPS: readonly (readonly string[])[] = [
  // losses
  ['DiceLoss', 'Dice'],
  ['FocalLoss', 'Focal'],
  ['DiceFocalLoss', 'DiceFocal'],
  // optimizers
  ['Novograd', 'NovoGrad'],
  // lr policies / schedulers
  ['StepLR', 'ReduceStep'],
  ['PolynomialLR', 'ReducePoly'],
  ['CosineAnnealingLR', 'ReduceCosine'],
  // transforms
  ['LoadImaged', 'LoadNifti', 'LoadNiftid'],
  ['EnsureChannelFirstd', 'ConvertToChannelsFirst', 'AddChanneld'],
  ['Spacingd', 'ScaleByResolution'],
  ['ScaleIntensityRanged', 'ScaleIntensityRange'],
  ['RandFlipd', 'RandomSpatialFlip', 'RandomAxisFlip'],
  ['RandSpatialCropd', 'CropFixedSizeRandomCenter'],
  ['RandGaussianNoised', 'AddGaussianNoise'],
  ['RandScaleIntensityd', 'ScaleIntensityOscillation'],
  ['NormalizeIntensityd', 'NormalizeNonzeroIntensities'],
  // inferers
  ['SimpleInferer', 'TFSimpleInferer'],
  ['SlidingWindowInferer', 'TFScanWindowInferer'],
];

/** The group `name` belongs to (primary 4.x name first), or `[name]`. */
export function claraNames(name: string): string[] {
  const g = CLARA_NAME_GROUPS.find((group) => group.includes(name));
  return g ? [...g] : [name];
}
