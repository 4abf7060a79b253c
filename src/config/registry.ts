// The component registry lives in src/components (the bottom layer every area may use, so
// transforms, models, losses ... register themselves without importing config); config
// re-exports it for the layers above.
export * from '../components/registry.js';
