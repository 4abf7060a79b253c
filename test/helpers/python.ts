// Live external tools for tests: present → run; missing → skip with a reason, except
// under CI=true where a missing tool is a failure.
import { spawnSync } from 'node:child_process';

export function pythonHas(module: string): boolean {
  const r = spawnSync('python3', ['-c', `import ${module}`], { stdio: 'ignore', timeout: 120_000 });
  return r.status === 0;
}

/** undefined when the module is there; otherwise the skip reason (throws under CI=true). */
export function requirePython(module: string): string | undefined {
  if (pythonHas(module)) return undefined;
  const reason = `python3 module '${module}' is not installed`;
  if (process.env.CI === 'true') throw new Error(`${reason} (required under CI=true)`);
  return reason;
}
