// `clara-train config check -m MMAR [--config config/config_train.json] [--set K=V ...] [--json]`:
// loads the MMAR's configs, resolves variables, prints the component tree, the search space and
// the component names no implementation is registered for yet.
import type { Command } from 'commander';
import './builtins.js';
import { loadMmar } from '../mmar/load.js';
import { checkConfigs, formatCheckReport } from '../config/check.js';
import { checkByocContracts } from '../config/check-byoc.js';
import { refuseUnrunnable } from '../config/refuse-unrunnable.js';
import { unusedSearchVariables, unusedSearchWarning } from '../config/unused-search.js';
import { configFileLayout, loadStandaloneMmar } from '../train/standalone-config.js';
import { searchSettingProblems } from '../automl/check-search-settings.js';

export function registerConfigCheck(program: Command): void {
  const config = program.command('config').description('Clara config tools');
  config
    .command('check')
    .description("load an MMAR's configs, resolve variables, print the component tree, search space and unregistered names")
    .requiredOption('-m, --mmar <dir>', 'MMAR root')
    .option('--config <file>', 'train config, relative to the MMAR root', 'config/config_train.json')
    .option('--set <kv...>', 'override variables: K=V (values parsed as JSON where they parse)')
    .option('--json', 'print a machine-readable report')
    .action(async (opts: { mmar: string; config: string; set?: string[]; json?: boolean }) => {
      // Clara's standalone validation/inference configs get their variable defaults (MMAR_TORCHSCRIPT ...)
      const m =
        configFileLayout(opts.mmar, opts.config) === 'train'
          ? loadMmar(opts.mmar, { config: opts.config, set: opts.set })
          : loadStandaloneMmar({ mmarRoot: opts.mmar, config: opts.config, set: opts.set });
      const report = checkConfigs([m.train, ...(m.automl ? [m.automl] : [])], { mmarRoot: m.paths.root });
      await checkByocContracts(report, m.paths.root);
      if (m.automl) report.problems.push(...searchSettingProblems(m.automl, m.train));
      if (opts.json) process.stdout.write(JSON.stringify({ mmarRoot: m.paths.root, ...report }, null, 2) + '\n');
      else process.stdout.write(`MMAR_ROOT ${m.paths.root}\n${formatCheckReport(report, m.paths.root)}\n`);
      for (const u of unusedSearchVariables(report.search)) process.stderr.write(`${unusedSearchWarning(u, m.train.file)}\n`);
      refuseUnrunnable(report); // exit 1 after the report: the config would not train
    });
}
