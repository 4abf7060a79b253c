// The train_step benchmark's model section: the product's models (benchmarks/lib/model-workloads.ts)
// stepped by long-lived children — cpu-native (fp32 and use_amp), tfjs-node, PyTorch fp32 and
// PyTorch bf16 autocast (benchmarks/train_step_torch.py --serve), same threads — interleaved step
// by step (one step of each implementation per round, after warm-up rounds), median per
// implementation, and the speed-up ratios from the same rounds.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { join } from 'node:path';
import { median, type Figure } from './results.js';
import type { ModelWorkload } from './model-workloads.js';

interface StepReply {
  s: number;
  cpu_s: number;
  loss: number;
}

class StepServer {
  private readonly lines: Interface;
  private readonly waiting: ((l: string) => void)[] = [];
  private readonly buffered: string[] = [];
  private stderr = '';
  constructor(private readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (l) => (this.waiting.length ? this.waiting.shift()!(l) : this.buffered.push(l)));
    child.stderr!.on('data', (d) => {
      this.stderr = (this.stderr + String(d)).slice(-2000);
    });
    child.on('exit', () => {
      for (const w of this.waiting.splice(0)) w('');
    });
  }
  private next(): Promise<string> {
    return this.buffered.length ? Promise.resolve(this.buffered.shift()!) : new Promise((r) => this.waiting.push(r));
  }
  /** Waits for the child's ready line (skipping any other output before it). */
  async ready(): Promise<void> {
    for (;;) {
      const l = await this.next();
      if (l === '') throw new Error(`step server exited before it was ready: ${this.stderr.trim().split('\n').slice(-2).join(' ')}`);
      if (l.startsWith('{"ready"')) return;
    }
  }
  async step(mode: string): Promise<StepReply> {
    this.child.stdin!.write(`${mode}\n`);
    for (;;) {
      const l = await this.next();
      if (l === '') throw new Error(`step server exited: ${this.stderr.trim().split('\n').slice(-2).join(' ')}`);
      if (l.startsWith('{')) return JSON.parse(l) as StepReply;
    }
  }
  close(): void {
    this.child.stdin!.end('quit\n');
  }
}

interface Impl {
  name: string;
  server: 'cpu-native' | 'tfjs-node' | 'torch';
  mode: string;
}
const IMPLS: Impl[] = [
  { name: 'native fp32', server: 'cpu-native', mode: 'fp32' },
  { name: 'native use_amp', server: 'cpu-native', mode: 'amp' },
  { name: 'tfjs-node fp32', server: 'tfjs-node', mode: 'fp32' },
  { name: 'pytorch fp32', server: 'torch', mode: 'fp32' },
  { name: 'pytorch bf16 autocast', server: 'torch', mode: 'bf16' },
];

/** Runs one model's rounds; returns its figures and table rows (skipped implementations are said so). */
export async function benchModelSteps(
  model: ModelWorkload,
  o: { reps: number; warmup: number; threads: number; withTorch: boolean; here: string },
): Promise<{ figures: Figure[]; rows: Record<string, string | number>[] }> {
  const env = {
    ...process.env,
    CLARA_NUM_THREADS: String(o.threads),
    TF_NUM_INTRAOP_THREADS: String(o.threads),
    TF_NUM_INTEROP_THREADS: '1',
    TF_CPP_MIN_LOG_LEVEL: '2',
  };
  const servers = new Map<Impl['server'], StepServer>();
  const skipped: Record<string, string> = {};
  const start = async (kind: Impl['server']) => {
    const child =
      kind === 'torch'
        ? spawn('python3', [join(o.here, 'train_step_torch.py'), '--serve', model, String(o.threads)], { env, stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn(process.execPath, ['--import', 'tsx', join(o.here, 'lib', 'model-step-server.ts'), kind, model, String(o.threads)], {
            env,
            stdio: ['pipe', 'pipe', 'pipe'],
          });
    const s = new StepServer(child);
    try {
      await s.ready();
      servers.set(kind, s);
    } catch (e) {
      skipped[kind] = (e as Error).message;
      child.kill();
    }
  };
  await start('cpu-native');
  await start('tfjs-node');
  if (o.withTorch) await start('torch');
  const impls = IMPLS.filter((i) => servers.has(i.server));
  const times = new Map<string, number[]>(impls.map((i) => [i.name, []]));
  const cpu = new Map<string, number[]>(impls.map((i) => [i.name, []]));
  for (let r = 0; r < o.warmup + o.reps; r++) {
    for (const i of impls) {
      const rep = await servers.get(i.server)!.step(i.mode);
      if (r >= o.warmup) {
        times.get(i.name)!.push(rep.s);
        cpu.get(i.name)!.push(rep.cpu_s);
      }
    }
    process.stderr.write(`\r${model}: round ${r + 1}/${o.warmup + o.reps}`);
  }
  process.stderr.write('\n');
  for (const s of servers.values()) s.close();
  const figures: Figure[] = [],
    rows: Record<string, string | number>[] = [];
  const med = (n: string) => (times.get(n)?.length ? median(times.get(n)!) : undefined);
  for (const i of impls) {
    const t = times.get(i.name)!;
    figures.push({
      name: `${model} train step: ${i.name}`,
      value: median(t),
      unit: 's',
      model,
      impl: i.name,
      reps: t.length,
      warmup: o.warmup,
      best_s: Math.min(...t),
      cpu_s: median(cpu.get(i.name)!),
      threads: o.threads,
    });
    rows.push({ model, impl: i.name, 'median s': median(t), 'best s': Math.min(...t), 'cpu s': median(cpu.get(i.name)!), reps: t.length });
  }
  for (const [kind, why] of Object.entries(skipped))
    figures.push({ name: `${model} train step: ${kind}`, value: null as unknown as number, unit: 's', skipped: why });
  const ratio = (label: string, num: string, den: string) => {
    const a = med(num),
      b = med(den);
    if (a !== undefined && b !== undefined) figures.push({ name: `${model}: speed-up ${label}`, value: a / b, unit: 'x', model });
  };
  ratio('native fp32 vs pytorch fp32', 'pytorch fp32', 'native fp32');
  ratio('native fp32 vs tfjs-node', 'tfjs-node fp32', 'native fp32');
  ratio('native use_amp vs pytorch bf16 autocast', 'pytorch bf16 autocast', 'native use_amp');
  ratio('native use_amp vs native fp32', 'native fp32', 'native use_amp');
  return { figures, rows };
}
