// The typed interface of the native addon. Each area types its functions in its own
// file (kernels.ts: conv/pool, elementwise.ts, reduce.ts, adam.ts, norm.ts, prelu.ts, label-onehot.ts, softmax-dice.ts, datamove.ts, transforms.ts, components.ts,
// alloc.ts) and they are merged here; callers take the area's interface (no casts).
import type { NativeKernels } from './kernels.js';
import type { NativeElementwise } from './elementwise.js';
import type { NativeReduce } from './reduce.js';
import type { NativeAdam } from './adam.js';
import type { NativeNorm } from './norm.js';
import type { NativePrelu } from './prelu.js';
import type { NativeLabelOneHot } from './label-onehot.js';
import type { NativeSoftmaxDice } from './softmax-dice.js';
import type { NativeTransformsModule } from './transforms.js';
import type { NativeAlloc } from './alloc.js';
import type { NativeDataMove } from './datamove.js';
import type { NativeComponentsModule } from './components.js';
import type { NativeAmx } from './amx.js';

export interface NativeInfo {
  version: string;
  /** CUDA kernels were compiled into the addon. */
  cuda: boolean;
  /** CUDA devices visible at run time (0 without CUDA, driver or GPU). */
  gpuCount: number;
  /** Threads of the native pool. */
  threads: number;
  /** Compiled with AVX512-BF16 dot-product instructions. */
  bf16Dot: boolean;
  simd: 'avx512' | 'avx2' | 'generic';
}

export interface NativeCore {
  info(): NativeInfo;
  /** Sets the native thread-pool size; returns the size in force. */
  setNumThreads(n: number): number;
  /**
   * SIGTERM to this process when its parent dies (Linux PR_SET_PDEATHSIG); false where not
   * available or when the parent `ppid` is already gone.
   */
  exitWithParent(ppid: number): boolean;
}

export type NativeAddon = NativeCore &
  NativeKernels &
  NativeElementwise &
  NativeReduce &
  NativeAdam &
  NativeNorm &
  NativePrelu &
  NativeLabelOneHot &
  NativeSoftmaxDice &
  NativeTransformsModule &
  NativeAlloc &
  NativeDataMove &
  NativeComponentsModule &
  NativeAmx;
