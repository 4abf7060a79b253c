// `clara-train validate -m MMAR` → MMAR_EVAL_OUTPUT_PATH/metrics.json (per-case metrics).
import type { Command } from 'commander';
import { runValidate } from '../train/run-eval.js';
import { withMmarOptions } from './mmar-options.js';
import { setWithFold, withFoldOption } from './fold-option.js';
import { runStandaloneCommand } from './standalone-eval.js';

interface Opts {
  mmar: string;
  config?: string;
  set?: string[];
  model?: string;
  dataKey?: string;
  output?: string;
  fold?: string;
}

export function registerValidate(program: Command): void {
  withFoldOption(
    withMmarOptions(
      program.command('validate').description('evaluate the trained model on the validation cases: metrics.json with per-case Dice in MMAR_EVAL_OUTPUT_PATH'),
    ),
  )
    .option('--model <path>', 'weights: checkpoint or exported model folder (default MMAR_CKPT, else models/best)')
    .option('--data-key <key>', "datalist key of the cases (default: the validate dataset's)")
    .option('-o, --output <dir>', 'output folder (default MMAR_EVAL_OUTPUT_PATH)')
    .action(async (o: Opts) => {
      if (await runStandaloneCommand(o)) return; // Clara's config_validation.json layouts
      const r = await runValidate({ mmarRoot: o.mmar, config: o.config, set: setWithFold(o), model: o.model, dataKey: o.dataKey, output: o.output });
      console.log(JSON.stringify({ [r.keyMetricName]: r.metrics[r.keyMetricName], cases: r.cases, output: r.output }));
    });
}
