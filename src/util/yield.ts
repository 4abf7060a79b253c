// One turn of the event loop. A training or evaluation loop whose batches come from memory
// only ever awaits microtasks, which starves the event loop: IPC (the AutoML parent going
// away), signals, timers and messages from data workers (SmartCache replacements) would wait
// until the epoch ends. Awaiting this once per step lets them through (a few microseconds).
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
