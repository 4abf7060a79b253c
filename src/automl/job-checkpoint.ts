// What a job folder holds to continue from: the training state of its `last` checkpoint
// (MMAR_CKPT_DIR/last/model.json, written atomically by train after every epoch). The
// AutoML process reads only the JSON (it never imports train): the epoch the checkpoint
// was taken after, so that a resumed or retried job continues instead of starting over.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobCkptDir } from '../jobs/paths.js';
import { recoverDir } from '../util/atomic-fs.js';

/** The epochs done by the job's last checkpoint (≥ 1), or undefined when there is none to continue from. */
export function resumableEpoch(jobRoot: string): number | undefined {
  if (!existsSync(join(jobRoot, 'config', 'config_train.json'))) return undefined;
  const last = join(jobCkptDir(jobRoot), 'last');
  recoverDir(last); // a kill mid-swap leaves the previous checkpoint aside: put it back
  const file = join(last, 'model.json');
  if (!existsSync(file)) return undefined;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { clara?: { state?: { epoch?: unknown; totalEpochs?: unknown } } };
    const e = j.clara?.state?.epoch;
    return typeof e === 'number' && Number.isInteger(e) && e >= 1 ? e : undefined;
  } catch {
    return undefined; // unreadable: the job starts over
  }
}
