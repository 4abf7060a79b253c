// Samples: MONAI-style dicts. Image-like entries are channel-first float32 tensors
// [C, i, j, k] (C order, see src/io/volume.ts); `<key>_meta_dict` holds the geometry.
import type { Affine } from '../io/volume.js';

export interface Tensor {
  data: Float32Array;
  /** [C, i, j, k] after EnsureChannelFirstd; [i, j, k] (or [i, j, k, t]) right after loading. */
  shape: number[];
}

export interface MetaDict {
  /** Current voxel → world (RAS+, mm) affine, updated by spatial transforms. */
  affine: Affine;
  /** The affine as loaded from the file. */
  original_affine: Affine;
  /** Spatial shape as loaded. */
  spatial_shape: number[];
  pixdim: number[];
  filename_or_obj: string;
  /** Foreground/background indices cached by RandCropByPosNegLabeld (flat, spatial). */
  fg_bg_indices?: { fg: Int32Array; bg: Int32Array; shape: number[]; key: string };
  [extra: string]: unknown;
}

export type Sample = Record<string, unknown>;

export function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && (v as Tensor).data instanceof Float32Array && Array.isArray((v as Tensor).shape);
}

export function metaKey(key: string): string {
  return `${key}_meta_dict`;
}
