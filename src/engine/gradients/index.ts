// Gradients tfjs lacks, registered once for every backend (cpu, native, node, node-gpu).
// Call ensureGradients() before building a model; it is idempotent.
import * as tf from '@tensorflow/tfjs';
import { conv3dBackpropInputGradConfig } from './conv3d-backprop-input.js';

let done = false;

export function ensureGradients(): void {
  if (done) return;
  for (const cfg of [conv3dBackpropInputGradConfig]) {
    if (!tf.getGradient(cfg.kernelName)) tf.registerGradient(cfg);
  }
  done = true;
}
