// The components of this area are registered under their Clara 3.x and 4.x names, and the
// example configs' components build from their args.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import '../../src/cli/builtins.js';
import { registry } from '../../src/config/registry.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();
const examples = '/work/shared/clara-examples';

test('every name is registered with its kind', () => {
  const want: Record<string, string[]> = {
    model: ['UNet', 'SegResNet', 'SegResnet'],
    loss: ['DiceLoss', 'Dice', 'FocalLoss', 'Focal', 'DiceCELoss', 'DiceFocalLoss'],
    optimizer: ['Adam', 'AdamW', 'SGD', 'Momentum', 'Novograd', 'NovoGrad'],
    lr_policy: ['StepLR', 'ReducePoly', 'ReduceCosine', 'CosineAnnealing', 'CosineAnnealingLR', 'DecayOnStep', 'WarmupCosineSchedule'],
    metric: ['MeanDice', 'Accuracy'],
    inferer: ['SimpleInferer', 'TFSimpleInferer', 'SlidingWindowInferer'],
  };
  for (const [kind, names] of Object.entries(want)) for (const n of names) assert.equal(registry.get(n)?.kind, kind, n);
});

test(
  "the Clara example configs' models, losses, optimizers, lr policies, metrics and inferers build",
  { skip: !existsSync(examples) && 'no clara-examples here' },
  () => {
    const built: string[] = [];
    for (const dir of ['clara3', 'clara4']) {
      for (const f of readdirSync(join(examples, dir)).filter((n) => n.startsWith('trn'))) {
        const file = join(examples, dir, f);
        const cfg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
        for (const section of ['train', 'validate']) {
          for (const key of ['loss', 'optimizer', 'lr_policy', 'lr_scheduler', 'inferer', 'key_metric', 'additional_metrics', 'model']) {
            const v = cfg[section]?.[key];
            if (!v) continue;
            const items = (Array.isArray(v) ? v : [v]) as { name: string; path?: string; args?: Record<string, unknown> }[];
            items.forEach((c, i) => {
              if (c.path) return; // BYOC
              const place = { file, path: `${section}.${key}${Array.isArray(v) ? `[${i}]` : ''}` };
              const spec = registry.require(c.name, place);
              const args = Object.fromEntries(Object.entries(c.args ?? {}).map(([k, a]) => [k, a === '{learning_rate}' ? 1e-4 : a]));
              registry.checkArgs(spec, args, place);
              if (spec.kind === 'model') Object.assign(args, { channels: [2, 4], strides: [2] }); // keep the test small
              assert.ok(spec.factory(args, place), `${place.path} built`);
              built.push(`${f}:${place.path}`);
            });
          }
        }
      }
    }
    assert.ok(built.length >= 20, built.join('\n'));
  },
);
