// Child process of the backend measurement: argv[2] is {backend, model, input, steps}.
// Builds the model from the registry on that backend, runs steps train steps (Adam, a
// soft Dice-like loss on a seeded batch) after one warm-up, prints {seconds: median}.
import * as tf from '@tensorflow/tfjs';
import '../models/register.js';
import { registry } from '../components/registry.js';
import { chooseBackend, type BackendName } from '../engine/index.js';
import { asNetwork } from './network.js';

interface Req {
  backend: BackendName;
  model: { name: string; args: Record<string, unknown> };
  input: number[];
  steps: number;
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '{}') as Req;
  await chooseBackend({ force: req.backend, log: () => {} });
  const spec = registry.require(req.model.name, { file: '(backend probe)', path: 'train.model' }, 'model');
  const net = asNetwork(
    spec.factory(spec.args?.includes('seed') && req.model.args.seed === undefined ? { ...req.model.args, seed: 0 } : req.model.args, {
      file: '(backend probe)',
      path: 'train.model',
    }),
    { file: '(backend probe)', path: 'train.model' },
  );
  const x = tf.randomNormal(req.input, 0, 1, 'float32', 1);
  const out = tf.tidy(() => net.apply(x, true));
  const y = tf.tidy(() =>
    tf.oneHot(tf.randomUniform(out.shape.slice(0, -1), 0, out.shape[out.shape.length - 1], 'int32', 2), out.shape[out.shape.length - 1]).toFloat(),
  );
  out.dispose();
  const vars = net
    .namedWeights()
    .filter((w) => w.trainable)
    .map((w) => w.variable);
  const opt = tf.train.adam(1e-4);
  const times: number[] = [];
  for (let i = 0; i < 1 + req.steps; i++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const p = tf.softmax(net.apply(x, true));
      const inter = tf.sum(tf.mul(p, y));
      const denom = tf.add(tf.sum(p), tf.sum(y));
      return tf.sub(1, tf.div(tf.mul(2, inter), denom)) as tf.Scalar;
    }, vars);
    opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
    await value.data();
    tf.dispose([value, grads]);
    if (i > 0) times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ seconds: times[Math.floor(times.length / 2)], backend: tf.getBackend() }) + '\n');
}

main().catch((e: unknown) => {
  process.stdout.write(JSON.stringify({ error: (e instanceof Error ? e.message : String(e)).split('\n')[0] }) + '\n');
  process.exitCode = 1;
});
