// The tensors a kernel keeps for its gradient, saved without a kernel call on the cpu backend.
// tfjs saves each input or output a gradient needs as `keep(clone(t))`, and clone runs the
// Identity kernel through the whole engine (dispatch, profiling hooks, a tape node of its own):
// a SegResNet step made 327 such calls, the example UNet's 58, a tenth of all its kernel calls.
// On the cpu backend Identity is only a new handle on the same data with its reference count
// raised, so that is what the saved tensor becomes here, directly. Nothing else changes: the
// saved tensors are disposed after the backward pass as before (the reference count keeps their
// data alive meanwhile), and other backends (tfjs-node) keep tfjs's own path. The clone's tape
// node only served gradients of gradients, which nothing in the product computes.
import * as tf from '@tensorflow/tfjs';

interface EngineInternals {
  backendName: string;
  backend: { incRef(dataId: unknown): void };
  makeTensorFromTensorInfo(info: { dataId: unknown; shape: number[]; dtype: string }): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
}

let original: EngineInternals['saveTensorsForBackwardMode'] | null = null;

/** Installs the light saves on tfjs's engine (idempotent). */
export function installLightSaves(): void {
  if (original) return;
  const proto = Object.getPrototypeOf(tf.engine()) as EngineInternals;
  const orig = proto.saveTensorsForBackwardMode;
  original = orig;
  proto.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    if (this.backendName !== 'cpu') return orig.call(this, tensors);
    return tensors.map((t) => {
      const saved = this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
      this.backend.incRef(t.dataId);
      return this.keep(saved);
    });
  };
}

/** Restores tfjs's own saves. */
export function uninstallLightSaves(): void {
  if (!original) return;
  (Object.getPrototypeOf(tf.engine()) as EngineInternals).saveTensorsForBackwardMode = original;
  original = null;
}
