// `clara-train init --example synthetic|brain DIR`
import type { Command } from 'commander';
import { EXAMPLES, initExample, type ExampleName } from './init/init-example.js';
import { ClaraError } from '../util/errors.js';

interface Opts {
  example: string;
  trainCases?: string;
  valCases?: string;
  size?: string;
  seed?: string;
  classes?: string;
  force?: boolean;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a complete MMAR from a shipped example: synthetic (generated data, no download) or brain (T1 MRI from Debian mricron-data)')
    .argument('<dir>', 'the MMAR folder to create')
    .requiredOption('-e, --example <name>', `example: ${EXAMPLES.join(' | ')}`)
    .option('--train-cases <n>', 'synthetic: training cases', '12')
    .option('--val-cases <n>', 'synthetic: validation cases', '4')
    .option('--size <n>', 'synthetic: volume edge in voxels', '48')
    .option('--classes <n>', 'synthetic: organ classes (1 or 2)', '1')
    .option('--seed <n>', 'synthetic: data seed', '0')
    .option('-f, --force', 'write into a non-empty folder')
    .action(async (dir: string, o: Opts) => {
      const int = (v: string | undefined, what: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new ClaraError(`expected a non-negative integer, got ${v}`, { path: `--${what}` });
        return n;
      };
      const out = await initExample({
        example: o.example as ExampleName,
        dir,
        force: o.force,
        trainCases: int(o.trainCases, 'train-cases'),
        valCases: int(o.valCases, 'val-cases'),
        size: int(o.size, 'size'),
        seed: int(o.seed, 'seed'),
        classes: int(o.classes, 'classes') === 2 ? 2 : 1,
        log: (s) => process.stderr.write(s + '\n'),
      });
      process.stderr.write(`MMAR ready: ${out}\n  train it:  clara-train train -m ${out}\n`);
    });
}
