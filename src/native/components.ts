// Connected-component labelling in the addon (native/transforms/components_napi.cc). Values
// are trusted there: src/train/inference/connected-components.ts checks them first.
import type { Shape3 } from './transforms.js';

interface NativeComponents {
  /** Labels the nonzero voxels of `mask` (C order over `shape`) into `labels` (0 outside, 1..n by first voxel
   * in raster order); returns the voxel count of each component. */
  label3d(mask: Uint8Array, shape: Shape3, connectivity: 6 | 18 | 26, labels: Int32Array): Float64Array;
}

export interface NativeComponentsModule {
  components: NativeComponents;
}
