export { native, tryNative, NativeLoadError, packageRoot, largeBuffers } from './loader.js';
export type { NativeAddon, NativeInfo } from './binding.js';
import { native } from './loader.js';
import type { NativeInfo } from './binding.js';

/** Version, CUDA compiled in, GPU count, threads. */
export function info(): NativeInfo {
  return native().info();
}
