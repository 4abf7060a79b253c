// Registers the engine's kernels (one file each under ./kernels/, listed in kernels/index.ts)
// over tfjs's pure-JS 'cpu' backend: native C++ passes for the hot ops of a 3D UNet step and
// run-copying TypeScript for Slice/SplitV/Tile/Concat. A kernel that replaces one of tfjs's
// returns undefined for what it does not cover (dilation, other dtypes, rank > 8, ...) and
// tfjs's original runs instead; gradients replaced here fall back to tfjs's the same way.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { native } from '../native/loader.js';
import type { NativeAddon } from '../native/binding.js';
import { ENGINE_GRADIENTS, ENGINE_KERNELS } from './kernels/index.js';
import type { CpuBackendLike, EngineKernel } from './kernels/kernel.js';
import { installOutputPool, uninstallOutputPool, type PoolableBackend } from './output-pool.js';
import { installLightSaves, uninstallLightSaves } from './light-saves.js';

export { UPSAMPLE_NEAREST3D, UPSAMPLE_NEAREST3D_GRAD } from './kernels/upsample-nearest3d.js';

/** The tfjs kernels replaced on the 'cpu' backend. */
export const NATIVE_KERNEL_NAMES: readonly string[] = ENGINE_KERNELS.filter((k) => k.mode === 'replace').map((k) => k.name);

const originals = new Map<string, KernelConfig>();
const gradOriginals = new Map<string, GradConfig>();
/** Gradients of the engine's own kernel names: registered once (tfjs has no unregisterGradient);
 *  the op only reaches them while the kernel is registered. */
const addedGradients = new Set<string>();
let registered = false;
/** Calls per kernel name since registration (what ran natively). */
export const nativeCallCounts: Record<string, number> = {};

function kernelFunc(def: EngineKernel, addon: NativeAddon, orig: KernelConfig | undefined): KernelFunc {
  return (args) => {
    const out = def.run(args.inputs, args.backend as CpuBackendLike, args.attrs ?? {}, addon);
    if (out === undefined) {
      if (!orig) throw new Error(`clara-train engine: kernel '${def.name}' returned no result`);
      return orig.kernelFunc(args);
    }
    nativeCallCounts[def.name] = (nativeCallCounts[def.name] ?? 0) + 1;
    return out;
  };
}

/** True while the native kernels are registered over the 'cpu' backend. */
export function nativeKernelsRegistered(): boolean {
  return registered;
}

/**
 * Registers the native kernels for the 'cpu' backend (idempotent). Throws the
 * loader's NativeLoadError (with a rebuild hint) when the addon is missing.
 */
export function registerNativeKernels(): void {
  if (registered) return;
  const addon = native();
  for (const def of ENGINE_KERNELS) {
    let orig: KernelConfig | undefined;
    if (def.mode === 'replace') {
      orig = tf.getKernel(def.name, 'cpu');
      if (!orig) throw new Error(`clara-train engine: tfjs has no 'cpu' kernel '${def.name}' to replace (is @tensorflow/tfjs-backend-cpu loaded?)`);
      originals.set(def.name, orig);
      tf.unregisterKernel(def.name, 'cpu');
    }
    tf.registerKernel({ ...(orig ?? {}), kernelName: def.name, backendName: 'cpu', kernelFunc: kernelFunc(def, addon, orig) });
  }
  for (const g of ENGINE_GRADIENTS) {
    const orig = tf.getGradient(g.kernelName);
    if (!orig) {
      if (addedGradients.has(g.kernelName)) continue;
      addedGradients.add(g.kernelName);
      tf.registerGradient({
        kernelName: g.kernelName,
        inputsToSave: g.inputsToSave ?? [],
        outputsToSave: g.outputsToSave,
        gradFunc: (dy, saved, attrs) => g.grad(dy, saved, attrs)!,
      });
      continue;
    }
    gradOriginals.set(g.kernelName, orig);
    tf.registerGradient({
      ...orig,
      gradFunc: (dy, saved, attrs) => (Array.isArray(dy) ? undefined : g.grad(dy, saved, attrs)) ?? orig.gradFunc(dy, saved, attrs),
    });
  }
  // the kernels' outputs come from a pool of recycled arrays (./output-pool.ts)
  installOutputPool(tf.findBackend('cpu') as unknown as PoolableBackend);
  // and the tensors kept for gradients are saved without an Identity kernel call each (./light-saves.ts)
  installLightSaves();
  registered = true;
}

/** Puts tfjs's own pure-JS kernels back (used by tests and benchmarks that compare). */
export function unregisterNativeKernels(): void {
  if (!registered) return;
  for (const def of ENGINE_KERNELS) {
    if (tf.getKernel(def.name, 'cpu')) tf.unregisterKernel(def.name, 'cpu');
    const orig = originals.get(def.name);
    if (orig) tf.registerKernel(orig);
  }
  originals.clear();
  for (const [, g] of gradOriginals) tf.registerGradient(g);
  gradOriginals.clear();
  uninstallOutputPool();
  uninstallLightSaves();
  registered = false;
}
