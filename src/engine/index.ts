// The engine's entry for the trainer: pick the backend, apply the AMP policy.
import { chooseBackend, type BackendInfo, type ChooseOptions } from './backend.js';
import { setAmp, type AmpMode } from './amp.js';
import { native } from '../native/loader.js';
import { amxStatus } from '../native/amx.js';

export { chooseBackend, describeBackend, forcedBackend, resetBackendChoice, BACKEND_NAMES } from './backend.js';
export type { BackendInfo, BackendMeasure, BackendName, ChooseOptions } from './backend.js';
export { setAmp, ampEnabled, withAmp } from './amp.js';
export type { AmpMode } from './amp.js';
export { registerNativeKernels, unregisterNativeKernels, nativeKernelsRegistered, NATIVE_KERNEL_NAMES } from './native-kernels.js';

export interface EngineInfo {
  backend: BackendInfo;
  amp: AmpMode;
  /** How bf16 runs when amp is 'bf16-native'; why not when 'unsupported-on-backend'. */
  ampDetail?: string;
}

let warnedAmp = false;

/**
 * Chooses the backend (once) and applies `use_amp`: on the native CPU path the
 * conv kernels then take bf16 inputs and weights with fp32 accumulation; other
 * backends cannot run half precision, which is said once and returned.
 */
export async function initEngine(opts: { amp: boolean } & ChooseOptions): Promise<EngineInfo> {
  const backend = await chooseBackend(opts);
  if (!opts.amp) {
    setAmp(false);
    return { backend, amp: 'off' };
  }
  if (backend.nativeKernels) {
    setAmp(true);
    // The dot products are used only where this CPU runs them faster than fp32 FMA (measured once).
    const dot = backend.native?.bf16Dot ? native().setBf16Dot(null) : false;
    const detail = amxStatus().usable
      ? 'bf16 convolutions on AMX tiles (tdpbf16ps), fp32 accumulation, where the tiles beat fp32; the others in fp32'
      : dot
        ? 'bf16 convolutions with AVX512-BF16 dot products, fp32 accumulation'
        : `bf16 convolutions emulated exactly (bf16-rounded inputs, fp32 FMA)${backend.native?.bf16Dot ? ': AVX512-BF16 dot products measured slower than fp32 FMA on this CPU' : ''}`;
    return { backend, amp: 'bf16-native', ampDetail: detail };
  }
  setAmp(false);
  const detail = `use_amp: backend ${backend.name} cannot run half precision; training runs in fp32`;
  if (!warnedAmp) {
    warnedAmp = true;
    (opts.log ?? ((l: string) => process.stderr.write(`clara-train engine: ${l}\n`)))(detail);
  }
  return { backend, amp: 'unsupported-on-backend', ampDetail: detail };
}
