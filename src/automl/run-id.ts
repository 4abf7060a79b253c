// An AutoML run id names the folder automl/<run_id>/: one plain folder name, never '.' or
// '..' (which would put the run's jobs and journal into the MMAR or above it).
import { ClaraError } from '../util/errors.js';

export function checkRunId(runId: string): string {
  if (!/^[\w.-]{1,200}$/.test(runId) || /^\.+$/.test(runId)) {
    throw new ClaraError(`run id '${runId}' must be a folder name of 1-200 letters, digits, '_', '-' and '.', not '.' or '..'`, { path: 'run_id' });
  }
  return runId;
}
