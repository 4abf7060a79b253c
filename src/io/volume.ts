// The in-memory volume every layer shares.
//
// Memory order is C order (last axis fastest), logical axes as MONAI/nibabel index
// them: a NIfTI volume is [i, j, k] (+ [t] ...), so element (i, j, k) sits at
// ((i * nj) + j) * nk + k. Channel-first samples in transforms are [C, i, j, k].
// For TensorFlow.js (NDHWC) the spatial axes (i, j, k) become (D, H, W).

export type VoxelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export type DType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** A 4x4 affine, row-major: world (RAS+, mm) = A · [i, j, k, 1]. */
export type Affine = number[][];

export interface Volume<T extends VoxelArray = VoxelArray> {
  data: T;
  shape: number[];
  affine: Affine;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function dtypeOf(a: VoxelArray): DType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

export function identityAffine(): Affine {
  return [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
}
