// Child of the train_step benchmark's model section: one backend (argv[2]: cpu-native |
// tfjs-node), one model (argv[3], benchmarks/lib/model-workloads.ts), argv[4] threads. Builds the
// step once, then answers each stdin line ('fp32' | 'amp') with one timed step as a JSON line
// {s, cpu_s, loss}; 'amp' on tfjs-node runs fp32 (the backend cannot run bf16). The parent
// interleaves the implementations step by step.
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, type BackendName } from '../../src/engine/index.js';
import { setAmp } from '../../src/engine/amp.js';
import { native } from '../../src/native/loader.js';
import { modelStep, type ModelWorkload } from './model-workloads.js';

const [backend, model, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg) || 2;
await chooseBackend({ force: backend as BackendName, log: () => {} });
if (backend === 'cpu-native') native().setNumThreads(threads);
const runner = modelStep(model as ModelWorkload);
process.stdout.write(JSON.stringify({ ready: true, tfBackend: tf.getBackend() }) + '\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'quit') break;
  setAmp(line === 'amp' && backend === 'cpu-native');
  const t0 = process.hrtime.bigint(),
    c0 = process.cpuUsage();
  const loss = runner.step();
  const s = Number(process.hrtime.bigint() - t0) / 1e9,
    c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ s, cpu_s: (c.user + c.system) / 1e6, loss }) + '\n');
}
runner.dispose();
process.exit(0);
