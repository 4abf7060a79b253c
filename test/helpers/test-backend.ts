// The tfjs backend a test file runs on: 'cpu' by default; with CLARA_BACKEND=tfjs-node
// (CI's second pass) the 'tensorflow' backend of tfjs-node, so the same tests check our
// gradients, layers, models and losses on libtensorflow. Under CI=true a tfjs-node that
// does not load is a failure, never a silent fall-back.
import * as tf from '@tensorflow/tfjs';

export async function useTestBackend(): Promise<string> {
  const want = process.env.CLARA_BACKEND;
  if (want === 'tfjs-node' || want === 'tfjs-node-gpu') {
    await import(want === 'tfjs-node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu');
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`CLARA_BACKEND=${want}: the 'tensorflow' backend did not initialise`);
    return 'tensorflow';
  }
  await tf.setBackend('cpu');
  return 'cpu';
}
