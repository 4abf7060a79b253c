// The Clara config language: reading, variables, components, search space, building.
export * from '../util/json-file.js';
export * from './json-path.js';
export * from './variables.js';
export * from './component.js';
export * from './tree.js';
export * from './refs.js';
export * from './python-strings.js';
export * from './search-types.js';
export * from './search-space.js';
export * from './search-values.js';
export * from './search-apply.js';
export * from './resolve.js';
export * from './byoc.js';
export * from './build.js';
export * from './registry.js';
export * from './clara-names.js';
