// io: volumes, NIfTI read/write, Decathlon datalists.
export * from './volume.js';
export * from './nifti/index.js';
export * from './datalist.js';
