// `clara-train plan DATASET -o MMAR`: a dataset in, a ready MMAR and search out.
import type { Command } from 'commander';
import { runPlan } from '../plan/run-plan.js';
import { readNumber } from '../components/args.js';

interface Opts {
  output: string;
  modality?: string;
  memoryBudget?: string;
  baseFeatures?: string;
  iterations?: string;
  force?: boolean;
}

/** A positive option value by the one argument reader's rules (the error names the flag). */
function positive(v: string | undefined, flag: string, int = false): number | undefined {
  return v === undefined ? undefined : readNumber(v, flag, { path: '' }, { int, min: 0, minExclusive: true });
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'fingerprint a Decathlon-style dataset and write a ready MMAR (config_train.json, config_automl.json, plan.json with the reason for each choice)',
    )
    .argument('<dataset>', 'a dataset folder holding dataset.json (imagesTr/, labelsTr/) or the dataset.json file')
    .requiredOption('-o, --output <mmar>', 'the MMAR folder to write')
    .option(
      '--modality <name>',
      "every channel's modality, overriding dataset.json (CT: clip + z-score with foreground statistics; MR or any other: per-image z-score)",
    )
    .option('--memory-budget <GiB>', 'memory for one training step (default: 8 on a GPU, 1 on the CPU)')
    .option('--base-features <n>', 'UNet channels at the first level (default: 32 on a GPU, 8 on the CPU)')
    .option('--iterations <n>', 'training iterations the epoch count aims at (default: 2500 on a GPU, 150 on the CPU)')
    .option('-f, --force', 'recompute the fingerprint; write into a non-empty folder')
    .action(async (dataset: string, o: Opts) => {
      const log = (s: string) => process.stderr.write(s + '\n');
      const r = await runPlan({
        dataset,
        out: o.output,
        modality: o.modality,
        force: o.force,
        log,
        memoryBudgetGiB: positive(o.memoryBudget, '--memory-budget'),
        baseFeatures: positive(o.baseFeatures, '--base-features', true),
        iterations: positive(o.iterations, '--iterations', true),
      });
      const p = r.plan;
      log(
        `plan: spacing [${p.target_spacing.value.join(', ')}] mm, ${p.normalization.scheme}, patch ${p.patch_size.value.join('x')}, batch ${p.batch_size.value}, ` +
          `UNet ${p.network.channels.join('/')}, ${p.training.epochs} epochs; measured step ${(p.memory.measured_bytes / 2 ** 20).toFixed(0)} MiB of ${(p.memory.budget_bytes / 2 ** 20).toFixed(0)} MiB`,
      );
      log(`search: ${p.automl.jobs} jobs, about ${p.automl.estimated_minutes} min on 2 workers (${p.automl.estimated_minutes_per_job} min per job)`);
      log(
        `MMAR ready: ${r.dir} (reasons in ${r.dir}/plan/plan.json)\n  train it:   clara-train train -m ${r.dir}\n  search:     clara-train automl -m ${r.dir} --set run_id=plan1 workers=cpu:cpu`,
      );
    });
}
