// `clara-train ensemble -o DIR --member MMAR [--member MMAR ...]`: fold models → a ready
// ensemble folder (src/train/build-ensemble.ts).
import type { Command } from 'commander';
import { buildEnsemble } from '../train/build-ensemble.js';
import { ClaraError } from '../util/errors.js';
import { collect } from './mmar-options.js';

interface Opts {
  output: string;
  member?: string[];
  mmar?: string;
  folds?: string;
  set?: string[];
  nsdTolerance?: string;
  heldOut?: string;
  tta?: boolean;
}

export function registerEnsemble(program: Command): void {
  program
    .command('ensemble')
    .description(
      'export the fold models of a cross-validation as one ensemble folder: postprocessing decided on the CV predictions, Dice/HD95/NSD per fold and for the ensemble in results.json',
    )
    .requiredOption('-o, --output <dir>', 'the ensemble folder (infer --model DIR runs it)')
    .option('-m, --mmar <dir>', 'the MMAR whose folds (--folds) were trained with `train --fold k`')
    .option('--folds <list>', 'with -m: the folds to ensemble, e.g. 0,1,2')
    .option('--member <mmar>', 'MMAR@k: fold k trained in that MMAR (or an MMAR with `fold` in its config); repeat for every fold', collect)
    .option('-s, --set <K=V...>', 'override variables of every member (K=V, several allowed)', collect)
    .option('--nsd-tolerance <mm>', 'normalised surface Dice tolerance in mm', '2')
    .option('--held-out <key>', 'datalist list of cases no fold saw, scored per fold and for the ensemble ("" for none)', 'validation')
    .option('--tta', 'also score the ensemble with mirror TTA on the held-out cases')
    .action(async (o: Opts) => {
      const tol = Number(o.nsdTolerance);
      if (!Number.isFinite(tol) || tol < 0) throw new ClaraError(`--nsd-tolerance must be a number of mm >= 0, got "${o.nsdTolerance}"`);
      // MMAR@k: that MMAR's fold k (AutoML fold jobs get their fold on the command line)
      const members = (o.member ?? []).map((spec) => {
        const at = /^(.*)@(\d+)$/.exec(spec);
        return at ? { mmar: at[1], set: [...(o.set ?? []), `fold=${Number(at[2])}`] } : { mmar: spec, set: o.set };
      });
      if (o.mmar) {
        if (!o.folds || !/^\d+(,\d+)*$/.test(o.folds))
          throw new ClaraError(`-m needs --folds with the fold numbers, e.g. --folds 0,1,2 (got ${o.folds === undefined ? 'none' : `"${o.folds}"`})`);
        for (const f of o.folds.split(',')) members.push({ mmar: o.mmar, set: [...(o.set ?? []), `fold=${Number(f)}`] });
      } else if (o.folds) throw new ClaraError('--folds goes with -m MMAR');
      if (members.length === 0) throw new ClaraError('give -m MMAR --folds 0,1,... or --member MMAR for every fold');
      const r = await buildEnsemble({ members, output: o.output, nsdTolerance: tol, heldOutKey: o.heldOut, tta: o.tta });
      console.log(JSON.stringify({ output: r.output, members: r.manifest.members, held_out: r.results.held_out.ensemble ?? null }));
    });
}
