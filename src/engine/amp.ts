// The AMP policy. On the native CPU path `use_amp: true` makes the registered
// conv kernels round their inputs and weights to bfloat16 and accumulate in fp32
// (AVX512-BF16 dot products where compiled, exact emulation elsewhere). The tfjs
// variables stay fp32, so the optimizer keeps fp32 master weights automatically.
// Backends that cannot run half precision report 'unsupported-on-backend'.

export type AmpMode = 'bf16-native' | 'off' | 'unsupported-on-backend';

let bf16Convs = false;

/** Switches bf16 convolutions on or off (read by the native kernels at every call). */
export function setAmp(on: boolean): void {
  bf16Convs = on;
}

/** True while the native conv kernels run in bf16. */
export function ampEnabled(): boolean {
  return bf16Convs;
}

/** Runs fn with bf16 convolutions switched to `on`, restoring the previous mode. */
export function withAmp<T>(on: boolean, fn: () => T): T {
  const before = bf16Convs;
  bf16Convs = on;
  try {
    return fn();
  } finally {
    bf16Convs = before;
  }
}
