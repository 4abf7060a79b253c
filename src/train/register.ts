// The training engine's config names: Clara/MONAI trainers, evaluators, the 3.x metric/aux-op
// pair, and the 4.x handlers (train/handlers.ts: factories that check their args and say what
// they ask of the trainer). The trainer reads the trainer/evaluator blocks itself
// (build-setup.ts); registering them makes the names known to `config check` and lets the
// config builder resolve `@evaluator`-style references to a plain description.
import { registry, type ComponentKind } from '../config/registry.js';
import { Args } from '../components/args.js';
import { TRAIN_HANDLERS } from './handlers.js';

export interface EngineBlock {
  component: string;
  kind: ComponentKind;
  args: Record<string, unknown>;
}

const SPECS: { names: string[]; kind: ComponentKind; description: string }[] = [
  {
    names: ['SupervisedTrainer', 'monai.engines.SupervisedTrainer'],
    kind: 'trainer',
    description: 'the training loop (max_epochs, amp, ... read by clara-train train)',
  },
  {
    names: ['SupervisedEvaluator', 'monai.engines.SupervisedEvaluator'],
    kind: 'evaluator',
    description: "validation: the validate section's data, inferer and metrics",
  },
  { names: ['ComputeAverage'], kind: 'metric', description: "Clara 3.x: the mean over cases of an aux op's field (Dice)" },
  { names: ['DiceMaskedOutput'], kind: 'aux_op', description: 'Clara 3.x: per-case Dice for ComputeAverage' },
];

for (const h of TRAIN_HANDLERS) {
  if (h.names.some((n) => registry.has(n, 'handler'))) continue;
  const build = (args: Record<string, unknown>, place: { file: string; path: string }) => h.build(new Args(args, place), place);
  registry.register({ names: h.names, kind: 'handler', description: h.description, ...(h.args ? { args: h.args } : {}), check: build, factory: build });
}

for (const s of SPECS) {
  if (s.names.some((n) => registry.has(n, s.kind))) continue;
  registry.register({
    names: s.names,
    kind: s.kind,
    description: s.description,
    factory: (args): EngineBlock => ({ component: s.names[0], kind: s.kind, args }),
  });
}
