// `clara-train infer -m MMAR [--model DIR]` → one uint8 segmentation NIfTI per case.
import type { Command } from 'commander';
import { runInfer } from '../train/run-eval.js';

interface Opts { mmar: string; config?: string; set?: string[]; model?: string; dataKey?: string; output?: string }

export function registerInfer(program: Command): void {
  program
    .command('infer')
    .description('segment the cases of the validate pipeline: <case>_seg.nii.gz (uint8 labels, the image\'s affine) in MMAR_EVAL_OUTPUT_PATH')
    .requiredOption('-m, --mmar <dir>', 'MMAR root (its validate section gives the data pipeline and inferer)')
    .option('-c, --config <file>', 'config, relative to the MMAR root', 'config/config_train.json')
    .option('-s, --set <K=V...>', 'override variables (K=V, several allowed)', (v: string, p: string[] = []) => [...p, v])
    .option('--model <path>', 'an exported model folder (clara-train export) or a checkpoint (default MMAR_CKPT, else models/best)')
    .option('--data-key <key>', 'datalist key of the cases (default: the validate dataset\'s)')
    .option('-o, --output <dir>', 'output folder (default MMAR_EVAL_OUTPUT_PATH)')
    .action(async (o: Opts) => {
      const r = await runInfer({ mmarRoot: o.mmar, config: o.config, set: o.set, model: o.model, dataKey: o.dataKey, output: o.output });
      console.log(JSON.stringify({ outputs: r.outputs }));
    });
}
