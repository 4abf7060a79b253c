// Writes that never leave a half-written file (or folder) where a good one was:
// write a temporary sibling, flush it, then rename it over the target.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;
function tmpName(target: string, tag: string): string {
  return join(dirname(target), `.${basename(target)}.${tag}-${process.pid}-${Date.now().toString(36)}-${counter++}`);
}

function writeAndSync(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    if (typeof data === 'string') writeSync(fd, data);
    else {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a file atomically (temp sibling + fsync + rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpName(path, 'tmp');
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes JSON atomically (2-space indent, trailing newline). */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export interface DirWriteHooks {
  /** Called after the files are written and before the folder is swapped in (tests use it to simulate a crash). */
  beforeSwap?: () => void;
}

/**
 * Replaces the folder `dir` with a new one holding `files` (name → content), so that at
 * every instant either the old complete folder or the new complete folder is at `dir`,
 * or (between two renames) the old one is at a `.NAME.old-*` sibling that
 * `recoverDir` puts back. Returns `dir`.
 */
export function replaceDirAtomic(dir: string, files: Record<string, string | Uint8Array>, hooks: DirWriteHooks = {}): string {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  recoverDir(dir);
  const tmp = tmpName(dir, 'new');
  mkdirSync(tmp);
  try {
    for (const [name, data] of Object.entries(files)) writeAndSync(join(tmp, name), data);
    hooks.beforeSwap?.();
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  let old: string | undefined;
  if (existsSync(dir)) {
    old = tmpName(dir, 'old');
    renameSync(dir, old);
  }
  renameSync(tmp, dir);
  if (old) rmSync(old, { recursive: true, force: true });
  return dir;
}

/**
 * Puts back a folder that a crash between the two renames of `replaceDirAtomic` left
 * at its `.NAME.old-*` sibling, and removes stale `.NAME.new-*` folders.
 * Returns true when the folder exists afterwards.
 */
export function recoverDir(dir: string): boolean {
  const parent = dirname(dir);
  if (!existsSync(parent)) return false;
  const base = basename(dir);
  const entries = readdirSync(parent);
  const olds = entries.filter((n) => n.startsWith(`.${base}.old-`)).sort();
  const news = entries.filter((n) => n.startsWith(`.${base}.new-`) || n.startsWith(`.${base}.tmp-`));
  if (!existsSync(dir) && olds.length > 0) renameSync(join(parent, olds[olds.length - 1]), dir);
  for (const n of olds) if (existsSync(join(parent, n))) rmSync(join(parent, n), { recursive: true, force: true });
  for (const n of news) rmSync(join(parent, n), { recursive: true, force: true });
  return existsSync(dir);
}
