// `clara-train infer -m MMAR [--model DIR]` → one uint8 segmentation NIfTI per case.
import type { Command } from 'commander';
import { runInfer } from '../train/run-eval.js';
import { runInferFiles } from '../train/infer-files.js';
import { ensembleOptions, inferEnsembleAction } from './infer-ensemble.js';
import { runStandaloneCommand } from './standalone-eval.js';

interface Opts {
  mmar?: string;
  input?: string[];
  config?: string;
  set?: string[];
  model?: string;
  dataKey?: string;
  output?: string;
  tta?: boolean;
  postprocess?: boolean;
  ensemble?: string[];
}

export function registerInfer(program: Command): void {
  program
    .command('infer')
    .description("segment the cases of the validate pipeline: <case>_seg.nii.gz (uint8 labels, the image's affine) in MMAR_EVAL_OUTPUT_PATH")
    .option('-m, --mmar <dir>', 'MMAR root (its validate section gives the data pipeline and inferer)')
    .option('-i, --input <files...>', 'NIfTI images to segment with an exported model (--model DIR; no MMAR needed)')
    .option('-c, --config <file>', 'config, relative to the MMAR root', 'config/config_train.json')
    .option('-s, --set <K=V...>', 'override variables (K=V, several allowed)', (v: string, p: string[] = []) => [...p, v])
    .option('--model <path>', 'an exported model folder (clara-train export) or a checkpoint (default MMAR_CKPT, else models/best)')
    .option('--data-key <key>', "datalist key of the cases (default: the validate dataset's)")
    .option('-o, --output <dir>', 'output folder (default MMAR_EVAL_OUTPUT_PATH)')
    .addOption(ensembleOptions[0])
    .addOption(ensembleOptions[1])
    .addOption(ensembleOptions[2])
    .action(async (o: Opts) => {
      if (await inferEnsembleAction(o)) return;
      if (o.input?.length) {
        if (!o.model) throw new Error('--input needs --model (an exported model folder)');
        const outputs = await runInferFiles({ model: o.model, inputs: o.input, output: o.output ?? '.' });
        console.log(JSON.stringify({ outputs }));
        return;
      }
      if (!o.mmar) throw new Error('give -m MMAR (its validate cases), or --model EXPORT --input FILES');
      if (await runStandaloneCommand({ ...o, mmar: o.mmar })) return; // Clara's config_inference.json layouts
      const r = await runInfer({ mmarRoot: o.mmar!, config: o.config, set: o.set, model: o.model, dataKey: o.dataKey, output: o.output });
      console.log(JSON.stringify({ outputs: r.outputs }));
    });
}
