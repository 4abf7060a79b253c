// Runs the same work with the engine's native kernels registered and with tfjs's own 'cpu'
// kernels, for tests that compare the two; the native kernels are registered again afterwards.
import { registerNativeKernels, unregisterNativeKernels } from '../../src/engine/native-kernels.js';

export function nativeAndTfjs<T>(fn: () => T): [T, T] {
  registerNativeKernels();
  const nat = fn();
  unregisterNativeKernels();
  try {
    return [nat, fn()];
  } finally {
    registerNativeKernels();
  }
}
