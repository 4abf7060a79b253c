// Gradient of Conv3DBackpropInputV2 (the kernel behind tf.conv3dTranspose), which tfjs lacks.
// The op is y = conv3dBackpropInput(dy, filter); it is linear in both inputs, so
//   d/d(dy)     = conv3d(ddx, filter)                      (the forward conv of the same geometry)
//   d/d(filter) = conv3dBackpropFilter(ddx, dy)            (ddx plays the role of the conv's input x)
import * as tf from '@tensorflow/tfjs';

interface Conv3DBackpropInputAttrs {
  strides: [number, number, number] | number;
  pad: 'valid' | 'same';
  inputShape: [number, number, number, number, number];
}

export const conv3dBackpropInputGradConfig: tf.GradConfig = {
  kernelName: 'Conv3DBackpropInputV2',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
    const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
    const { strides, pad } = attrs as unknown as Conv3DBackpropInputAttrs;
    const g = ddx as tf.Tensor5D;
    return {
      dy: () => tf.conv3d(g, filter, strides, pad),
      filter: () =>
        tf.engine().runKernel('Conv3DBackpropFilterV2', { x: g, dy }, {
          strides,
          pad,
          filterShape: filter.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor5D,
    };
  },
};
