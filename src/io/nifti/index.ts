// NIfTI I/O: the API other areas code against.
export { readNifti, readNiftiSync, readNiftiHeader, decodeNifti, typedArrayFor, type NiftiImage } from './read.js';
export { type NiftiHeader, DTYPE_CODES, DTYPE_BYTES, MAX_VOXELS } from './header.js';
export { type AffineSource, bestAffine } from './affine.js';
export { fortranToC, cToFortran } from './transpose.js';
export { writeNifti, writeNiftiSync, encodeNifti, convertDType, type WriteNiftiOptions } from './write.js';
