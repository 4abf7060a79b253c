// Stopping a search whose AutoML process is gone (kill -9, a lost login session): its Slurm
// jobs still queued or running are found in the run's journal and cancelled with scancel
// (or slurmrestd). A live search stops through its engine instead (each job's own scancel).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ClaraError } from '../../util/errors.js';
import { Journal, journalState } from '../journal.js';
import { isTerminal, type SlurmClient } from './slurm-client.js';
import { SlurmCli } from './slurm-cli.js';

/** Cancels the run's journalled Slurm jobs that Slurm still has queued or running; returns their ids by job name. */
export async function cancelRunSlurmJobs(runRoot: string, client: SlurmClient = new SlurmCli()): Promise<Map<string, string>> {
  const file = join(runRoot, 'journal.jsonl');
  if (!existsSync(file)) throw new ClaraError('no journal: not an AutoML run folder', { file });
  const attached = journalState(Journal.read(file)).attached;
  const byId = new Map([...attached].map(([job, a]) => [a.schedulerId, job]));
  const states = await client.query([...byId.keys()]);
  const live = [...states.values()].filter((s) => !isTerminal(s.state)).map((s) => s.id);
  await client.cancel(live);
  return new Map(live.map((id) => [byId.get(id)!, id]));
}
