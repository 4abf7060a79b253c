// Every kernel and gradient the engine registers over tfjs's 'cpu' backend for cpu-native
// (../native-kernels.ts registers them). A new native op: its file here, one line below.
import type { EngineGradient, EngineKernel } from './kernel.js';
import { conv3dKernel } from './conv3d.js';
import { conv3dBackpropInputKernel } from './conv3d-backprop-input.js';
import { conv3dBackpropFilterKernel } from './conv3d-backprop-filter.js';
import { maxPool3dKernel } from './max-pool3d.js';
import { maxPool3dGradKernel } from './max-pool3d-grad.js';
import { avgPool3dKernel } from './avg-pool3d.js';
import { avgPool3dGradKernel } from './avg-pool3d-grad.js';
import { addKernel } from './add.js';
import { subKernel } from './sub.js';
import { mulKernel } from './multiply.js';
import { divKernel } from './real-div.js';
import { reluKernel } from './relu.js';
import { stepKernel } from './step.js';
import { softmaxKernel } from './softmax.js';
import { sliceKernel } from './slice.js';
import { splitVKernel } from './split-v.js';
import { tileKernel } from './tile.js';
import { concatKernel } from './concat.js';
import { reluGradKernel, reluGradient } from './relu-grad.js';
import { tileGradKernel, tileGradient } from './tile-grad.js';
import { sumKernel } from './sum.js';
import { padV2Kernel } from './pad-v2.js';
import { adamUpdateKernel } from './adam-update.js';
import { preluGradient, preluGradKernel, preluKernel } from './prelu.js';
import { labelOneHotKernel } from './label-one-hot.js';
import { softmaxDiceGradient, softmaxDiceGradKernel, softmaxDiceKernel } from './softmax-dice.js';
import { groupNormGradient, groupNormGradKernel, groupNormKernel } from './group-norm.js';
import {
  paddedConv3dBackpropFilterKernel,
  paddedConv3dBackpropInputGradient,
  paddedConv3dBackpropInputKernel,
  paddedConv3dGradient,
  paddedConv3dKernel,
} from './padded-conv3d.js';
import { upsampleNearest3dGradient, upsampleNearest3dGradKernel, upsampleNearest3dKernel } from './upsample-nearest3d.js';

export const ENGINE_KERNELS: readonly EngineKernel[] = [
  conv3dKernel,
  conv3dBackpropInputKernel,
  conv3dBackpropFilterKernel,
  maxPool3dKernel,
  maxPool3dGradKernel,
  avgPool3dKernel,
  avgPool3dGradKernel,
  addKernel,
  subKernel,
  mulKernel,
  divKernel,
  reluKernel,
  stepKernel,
  softmaxKernel,
  sliceKernel,
  splitVKernel,
  tileKernel,
  concatKernel,
  sumKernel,
  padV2Kernel,
  reluGradKernel,
  tileGradKernel,
  upsampleNearest3dKernel,
  upsampleNearest3dGradKernel,
  adamUpdateKernel,
  groupNormKernel,
  groupNormGradKernel,
  preluKernel,
  preluGradKernel,
  labelOneHotKernel,
  softmaxDiceKernel,
  softmaxDiceGradKernel,
  paddedConv3dKernel,
  paddedConv3dBackpropInputKernel,
  paddedConv3dBackpropFilterKernel,
];

/** Gradients replaced while the kernels are registered (or added, for the engine's own kernels). */
export const ENGINE_GRADIENTS: readonly EngineGradient[] = [
  reluGradient,
  tileGradient,
  upsampleNearest3dGradient,
  groupNormGradient,
  preluGradient,
  softmaxDiceGradient,
  paddedConv3dGradient,
  paddedConv3dBackpropInputGradient,
];
