// What LoadImaged needs from a NIfTI file: scaled float32 voxels in C order [i, j, k(, t)],
// the affine (nibabel's choice: sform, else qform, else pixdim) and pixdim, read by src/io.
import { readNifti } from '../io/nifti/index.js';
import type { Affine } from '../io/volume.js';

export interface LoadedImage {
  data: Float32Array;
  shape: number[];
  affine: Affine;
  pixdim: number[];
}

export async function loadNiftiImage(path: string): Promise<LoadedImage> {
  const im = await readNifti(path);
  // Float32 voxels without scaling are used as read: no second copy of the volume.
  const data = im.dtype === 'float32' && !im.isScaled ? (im.data as Float32Array) : im.scaled();
  return { data, shape: [...im.shape], affine: im.affine.map((r) => [...r]), pixdim: im.pixdim.slice(0, 3) };
}
