// Preloaded into a real child process (NODE_OPTIONS=--import=this file): SIGKILLs it at the
// N-th fs.renameSync whose source path matches CLARA_KILL_ON_RENAME="REGEX@N", that is in the
// middle of an atomic folder swap (src/util/atomic-fs.ts), with no hook in the product.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const spec = /^(.*)@(\d+)$/.exec(process.env.CLARA_KILL_ON_RENAME ?? '');
if (spec) {
  const re = new RegExp(spec[1]);
  let left = Number(spec[2]);
  const rename = fs.renameSync;
  fs.renameSync = function renameSync(src, dst) {
    if (re.test(String(src)) && --left === 0) process.kill(process.pid, 'SIGKILL');
    return rename.call(this, src, dst);
  };
  syncBuiltinESMExports(); // `import { renameSync } from 'node:fs'` sees the wrapper
}
