// tfjs 'Sum' of a float32 tensor over axes that are adjacent once size-1 axes are dropped (bias
// and norm gradients: every axis but the channels; instance norm and Dice: the spatial axes of
// each sample; the total): one native pass. tfjs's own transposes first when the axes are not
// innermost. Other axis patterns and dtypes: tfjs's own.
import * as tf from '@tensorflow/tfjs';
import { middleView } from '../../native/reduce.js';
import { defineKernel, f32, sizeOf } from './kernel.js';

export const sumKernel = defineKernel<'x', { axis: number | number[]; keepDims: boolean }>({
  name: 'Sum',
  mode: 'replace',
  run({ x }, be, { axis, keepDims }, k) {
    const xv = f32(be, x);
    if (!xv) return undefined;
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
    const view = middleView(x.shape, axes);
    if (!view) return undefined;
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const out = new Float32Array(sizeOf(outShape));
    k.sumMiddleF32(xv, view[0], view[1], view[2], out);
    return be.makeTensorInfo(keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape, 'float32', out);
  },
});
