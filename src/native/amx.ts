// Intel AMX in the native addon: whether its bf16 tile kernels run in this process
// (CPU, OS and the per-process tile permission, CLARA_AMX=0), the run time switches
// tests and benchmarks use, and the tile-product peak probe.
import { native } from './loader.js';

interface AmxStatus {
  /** The AMX conv3d kernels run for bf16 convolutions (use_amp) in this process. */
  usable: boolean;
  /** Why not ("" when usable): "not in CPU", "not enabled by OS (...)", "permission refused (...)", "disabled by CLARA_AMX=0", ... */
  reason: string;
  /** fp32 convolutions run as three bf16 tile products (CLARA_AMX_FP32=1 / setAmxFp32). */
  fp32ThreeProducts: boolean;
}

/** Calls of each conv3d pass that ran on the AMX tiles (the fallbacks are not counted). */
interface AmxCalls {
  forward: number;
  backpropInput: number;
  backpropFilter: number;
}

export interface NativeAmx {
  amxStatus(): AmxStatus;
  /** Turns the AMX kernels off / back on (where usable); returns whether they are usable now. */
  setAmx(on: boolean): boolean;
  /** fp32 convolutions as hi*hi + hi*lo + lo*hi bf16 tile products; returns the new setting. */
  setAmxFp32(on: boolean): boolean;
  /** tdpbf16ps GFLOP/s with `threads` threads (0 where AMX is not usable). */
  amxPeak(threads: number, seconds: number): number;
  /** Convolution calls per pass that ran on the AMX tiles since the process started. */
  amxCalls(): AmxCalls;
}

const a = (): NativeAmx => native();

export function amxStatus(): AmxStatus {
  return a().amxStatus();
}

/** `yes`, or `no (reason)`: the line `clara-train info` prints. */
export function amxLine(): string {
  const s = amxStatus();
  return s.usable ? 'yes' : `no (${s.reason})`;
}

export function setAmx(on: boolean): boolean {
  return a().setAmx(on);
}

export function setAmxFp32(on: boolean): boolean {
  return a().setAmxFp32(on);
}

/** Measured AMX bf16 tile-product peak, GFLOP/s. */
export function amxPeak(threads: number, seconds = 0.3): number {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`amxPeak: threads must be an integer >= 1, got ${threads}`);
  if (!(seconds > 0 && seconds <= 10)) throw new RangeError(`amxPeak: seconds must be in (0, 10], got ${seconds}`);
  return a().amxPeak(threads, seconds);
}

/** Conv3d calls per pass that ran on the AMX tiles since the process started: the tests read
 *  it to tell that use_amp really runs its convolutions on AMX and not on a silent fallback. */
export function amxCallCounts(): AmxCalls {
  return a().amxCalls();
}
