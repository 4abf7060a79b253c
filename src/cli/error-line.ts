// The one line a command prints for an error that is not a ClaraError: what went wrong,
// where (the file, for system errors) and what to do; the stack only with CLARA_DEBUG=1.
const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device: free some space and run again',
  EDQUOT: 'disk quota exceeded: free some space and run again',
  EACCES: 'permission denied: check the permissions of the file or its folder',
  EPERM: 'operation not permitted: check the permissions of the file or its folder',
  EROFS: 'the file system is read-only: write somewhere else',
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, a file was expected',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or use fewer workers',
  ENOMEM: 'out of memory: use smaller volumes, fewer workers or a smaller cache',
  EIO: 'input/output error from the device',
};

export function errorLine(e: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLARA_DEBUG) return e instanceof Error ? (e.stack ?? e.message) : String(e);
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && SYSTEM_ERRORS[err.code]) {
    const where = err.path ? `${err.path}: ` : '';
    const op = err.syscall ? ` (${err.syscall} ${err.code})` : ` (${err.code})`;
    return `${where}${SYSTEM_ERRORS[err.code]}${op}`;
  }
  if (e instanceof RangeError && /allocat|Array buffer|Invalid typed array length|Invalid array length/i.test(e.message)) {
    return `out of memory (${e.message}): use smaller volumes, fewer cases or a smaller cache`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n')[0];
  return `${first} (an unexpected error; set CLARA_DEBUG=1 for the stack trace)`;
}
