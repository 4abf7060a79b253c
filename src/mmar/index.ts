export * from './paths.js';
export * from './overrides.js';
export * from './environment.js';
export * from './load.js';
export * from './open.js';
