// The attrs tfjs passes to the Conv3D kernels and to the 3D pooling kernels, and the addon's
// packed geometry computed from them by tfjs's own backend_util (so padding and output shapes
// are exactly tfjs's).
import * as tf from '@tensorflow/tfjs';
import { convGeomArray, convGeomFromInfo, poolGeomArray, poolGeomFromInfo, type Conv3DInfo } from '../../native/kernels.js';

type Shape5 = [number, number, number, number, number];
type Triple = number | [number, number, number];

export interface Conv3DAttrs {
  strides: Triple;
  pad: 'same' | 'valid';
  dilations?: Triple;
}

export interface Pool3DAttrs {
  filterSize: Triple;
  strides: Triple;
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NDHWC' | 'NCDHW';
}

export function convInfo(xShape: readonly number[], filterShape: readonly number[], a: Conv3DAttrs): { info: Conv3DInfo; geom: Int32Array } {
  const info = tf.backend_util.computeConv3DInfo(xShape as Shape5, filterShape as Shape5, a.strides, 1, a.pad);
  return { info, geom: convGeomArray(convGeomFromInfo(info)) };
}

export function poolInfo(xShape: readonly number[], a: Pool3DAttrs): { info: Conv3DInfo; geom: Int32Array } {
  const info = tf.backend_util.computePool3DInfo(xShape as Shape5, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  return { info, geom: poolGeomArray(poolGeomFromInfo(info)) };
}
