// Run as a child process by `setup tensorflow` and the backend choice: loads
// tfjs-node(-gpu), runs a small conv3d on the 'tensorflow' backend and on tfjs 'cpu',
// and prints one JSON line (TensorFlow version, GPU use, largest difference).
// TensorFlow's own start-up log (oneDNN, devices) goes to stderr, which the parent reads.
import * as tf from '@tensorflow/tfjs';

interface TfBinding {
  TF_Version?: string;
  isUsingGpuDevice?: () => boolean;
}

async function main(): Promise<void> {
  const pkg = process.argv[2] === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  await import(pkg);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the 'tensorflow' backend did not initialise`);
  const binding = (tf.backend() as unknown as { binding?: TfBinding }).binding;
  const x = tf.randomUniform([1, 6, 6, 6, 2], -1, 1, 'float32', 7);
  const w = tf.randomUniform([3, 3, 3, 2, 3], -1, 1, 'float32', 8);
  const xs = x.arraySync();
  const ws = w.arraySync();
  const onTf = tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 1, 'same').dataSync();
  await tf.setBackend('cpu');
  const onCpu = tf.conv3d(tf.tensor(xs) as tf.Tensor5D, tf.tensor(ws) as tf.Tensor5D, 1, 'same').dataSync();
  let maxDiff = 0;
  for (let i = 0; i < onCpu.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onCpu[i] - onTf[i]));
  process.stdout.write(
    JSON.stringify({
      package: pkg,
      tfVersion: binding?.TF_Version ?? 'unknown',
      gpu: binding?.isUsingGpuDevice?.() ?? false,
      conv3dMaxDiffVsCpu: maxDiff,
    }) + '\n',
  );
}

main().catch((e: unknown) => {
  process.stdout.write(JSON.stringify({ error: (e instanceof Error ? e.message : String(e)).split('\n')[0] }) + '\n');
  process.exitCode = 1;
});
