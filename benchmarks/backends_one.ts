// Child of the backends benchmark: one backend (argv[2]: cpu-native | tfjs-node | cpu),
// one workload (argv[3]: unet-small | unet-large | segresnet), argv[4] timed reps, argv[5]
// threads. Prints one JSON line {step_s: [...], cpu_s: [...], losses: [...]}.
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, type BackendName } from '../src/engine/index.js';
import { native } from '../src/native/loader.js';
import '../src/models/register.js';
import { registry } from '../src/components/registry.js';
import { asNetwork } from '../src/train/network.js';
import { diceLoss, makeBatch, makeParams, trainStep } from './unet3d.js';

const [backend, workload, repsArg, threadsArg] = process.argv.slice(2);
const reps = Number(repsArg) || 3;
const threads = Number(threadsArg) || 2;
await chooseBackend({ force: backend as BackendName, log: () => {} });
if (backend === 'cpu-native') native().setNumThreads(threads);

let step: () => number;
if (workload === 'unet-small' || workload === 'unet-large') {
  const [F, D] = workload === 'unet-small' ? [8, 32] : [16, 64];
  const P = makeParams(F, 1);
  const { x, y } = makeBatch(D, 2);
  const opt = tf.train.adam(1e-3);
  step = () => trainStep(P, opt, x, y);
} else if (workload === 'segresnet') {
  // MONAI's SegResNet defaults (init_filters 8, blocks_down 1,2,2,4), 2 classes, batch 2 of 32³
  const spec = registry.require('SegResNet', { file: 'bench', path: 'model' }, 'model');
  const net = asNetwork(spec.factory({ spatial_dims: 3, in_channels: 1, out_channels: 2, init_filters: 8 }, { file: 'bench', path: 'model' }), {
    path: 'model',
  });
  const { x, y } = makeBatch(32, 2);
  const vars = net
    .namedWeights()
    .filter((w) => w.trainable)
    .map((w) => w.variable);
  const opt = tf.train.adam(1e-3);
  step = () => {
    const { value, grads } = tf.variableGrads(() => diceLoss(tf.softmax(net.apply(x, true)), y), vars);
    opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
    const l = value.dataSync()[0];
    tf.dispose([value, grads]);
    return l;
  };
} else throw new Error(`unknown workload ${workload}`);

const stepS: number[] = [],
  cpuS: number[] = [],
  losses: number[] = [];
for (let i = 0; i < 1 + reps; i++) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  losses.push(step());
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (i > 0) {
    stepS.push(s);
    cpuS.push((c.user + c.system) / 1e6);
  }
}
process.stdout.write(JSON.stringify({ backend, tfBackend: tf.getBackend(), workload, step_s: stepS, cpu_s: cpuS, losses }) + '\n');
