#!/usr/bin/env node
// npm run bench -- NAME [args...]: runs benchmarks/NAME.ts (or .mjs/.py) and leaves
// benchmarks/results/NAME.json behind (the script writes it).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error('usage: npm run bench -- NAME [args]   (runs benchmarks/NAME.ts)');
  process.exit(2);
}
const candidates = [`${name}.ts`, `${name}.mjs`, `${name}.py`].map((f) => join(root, 'benchmarks', f));
const file = candidates.find((f) => existsSync(f));
if (!file) {
  console.error(`bench: no benchmarks/${name}.ts, .mjs or .py`);
  process.exit(2);
}
const cmd = file.endsWith('.py') ? 'python3' : process.execPath;
const cmdArgs = file.endsWith('.ts') ? ['--import', 'tsx', file, ...args] : [file, ...args];
const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
