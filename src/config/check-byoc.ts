// `config check`'s look into the BYOC modules it found: each is imported, its export must be
// a class or function, and a class of a kind with a contract (loss, optimizer, lr policy,
// inferer, metric, pruner, executor) must have the contract's methods. A class is checked
// without constructing it; a factory function's result is checked where it is built.
import { CONTRACT_OF_KIND, classMisfit } from '../components/contracts.js';
import { ClaraError } from '../util/errors.js';
import { byocClassOf, loadByoc } from './byoc.js';
import type { CheckReport } from './check.js';

/** Adds to `report.problems` what building the report's BYOC components would refuse. */
export async function checkByocContracts(report: CheckReport, mmarRoot: string): Promise<void> {
  for (const b of report.byoc) {
    if (!b.module || b.disabled) continue; // a missing module is already a problem
    const path = b.path.replace(/\.path$/, '');
    let cls: Function | undefined;
    try {
      cls = byocClassOf(await loadByoc(b.spec, { file: b.file, path, mmarRoot }));
    } catch (e) {
      if (!(e instanceof ClaraError)) throw e;
      report.problems.push(e.message);
      continue;
    }
    const contract = b.kind ? CONTRACT_OF_KIND[b.kind] : undefined;
    const misfit = cls && contract ? classMisfit(cls, contract) : undefined;
    if (misfit) report.problems.push(new ClaraError(misfit, { file: b.file, path }).message);
  }
}
