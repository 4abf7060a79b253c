#!/usr/bin/env node
// Lists exports of src/ that no other file uses: an exported name (function, class, const,
// let, interface, type, enum, or `export { ... }`) that appears, as a whole word, in no
// other source file of src/, test/, benchmarks/, scripts/ or bin/. Text-based and
// conservative: a name that another file merely mentions counts as used.
// Exit 1 when there is one that scripts/dead-exports.allow does not list (CI runs it
// through `npm run lint`). The allow list holds the ones found when the check came in,
// to burn down; `--write-allow` rewrites it from the current tree.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
const files = ['src', 'test', 'benchmarks', 'scripts', 'bin'].flatMap((d) => {
  try {
    return walk(join(root, d));
  } catch {
    return [];
  }
});
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const DECL =
  /^export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;
const LIST = /^export\s+(?:type\s+)?\{([^}]*)\}(?!\s*from)/gm;
const dead = [];
for (const f of files.filter((f) => relative(root, f).startsWith('src/'))) {
  const src = text.get(f);
  const names = new Set();
  for (const m of src.matchAll(DECL)) names.add(m[1]);
  for (const m of src.matchAll(LIST))
    for (const part of m[1].split(',')) {
      const n = part
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.replace(/^type\s+/, '')
        .trim();
      if (n) names.add(n);
    }
  for (const n of names) {
    const re = new RegExp(`(^|[^\\w$])${n.replace(/\$/g, '\\$')}($|[^\\w$])`);
    let used = false;
    for (const [g, t] of text)
      if (g !== f && re.test(t)) {
        used = true;
        break;
      }
    if (!used) dead.push(`${relative(root, f)}: ${n}`);
  }
}
const allowFile = join(root, 'scripts', 'dead-exports.allow');
if (process.argv.includes('--write-allow')) {
  writeFileSync(allowFile, dead.map((d) => d + '\n').join(''));
  console.log(`dead-exports: ${dead.length} entries written to ${relative(root, allowFile)}`);
  process.exit(0);
}
const allowed = new Set(existsSync(allowFile) ? readFileSync(allowFile, 'utf8').split('\n').filter(Boolean) : []);
const fresh = dead.filter((d) => !allowed.has(d));
if (fresh.length) {
  console.error(`dead-exports: ${fresh.length} export(s) no other file uses (delete them, or drop the export keyword):`);
  for (const d of fresh) console.error(`  ${d}`);
  process.exit(1);
}
const stale = [...allowed].filter((d) => !dead.includes(d));
console.log(
  `dead-exports: no new unused export (${files.length} files read; ${dead.length} old ones still listed in scripts/dead-exports.allow` +
    (stale.length ? `; ${stale.length} listed there are used or gone now: run with --write-allow` : '') +
    ')',
);
