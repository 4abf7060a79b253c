// Writes that never leave a half-written file (or folder) where a good one was: write a
// temporary sibling, fsync it, rename it over the target, fsync the folder (so the rename
// itself survives a power cut). Every file the product writes whole goes through here.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ClaraError } from './errors.js';

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

/** Flushes a folder's entries (a rename into it) to disk; a file system that cannot is left as it is. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems (and Windows) refuse fsync on a folder: the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What a failed write says: `FILE: cannot write <what> (ENOSPC)`. */
function writeError(path: string, e: unknown, what: string): ClaraError {
  if (e instanceof ClaraError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new ClaraError(`cannot write ${what} (${code ?? (e as Error).message ?? String(e)})`, { file: path });
}

/** Writes a file atomically (temp sibling + fsync + rename + folder fsync). Errors name the file and `what` it is. */
export function writeFileAtomic(path: string, data: string | Uint8Array, what = 'file'): void {
  let tmp: string | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    tmp = tmpName(path, 'tmp');
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    if (tmp) rmSync(tmp, { force: true });
    throw writeError(path, e, what);
  }
  fsyncDir(dirname(path));
}

/** writeFileAtomic without blocking the event loop (large files: NIfTI volumes). */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array, what = 'file'): Promise<void> {
  let tmp: string | undefined;
  try {
    await mkdir(dirname(path), { recursive: true });
    tmp = tmpName(path, 'tmp');
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    if (tmp) await rm(tmp, { force: true });
    throw writeError(path, e, what);
  }
  fsyncDir(dirname(path));
}

/** Writes JSON atomically (2-space indent, trailing newline; `indent` 0 writes one line). */
export function writeJsonAtomic(path: string, value: unknown, indent = 2): void {
  writeFileAtomic(path, JSON.stringify(value, null, indent || undefined) + (indent ? '\n' : ''));
}

/**
 * Replaces the folder `dir` with a new one holding `files` (name → content), so that at
 * every instant either the old complete folder or the new complete folder is at `dir`,
 * or (between two renames) the old one is at a `.NAME.old-*` sibling that
 * `recoverDir` puts back. Returns `dir`.
 */
export function replaceDirAtomic(dir: string, files: Record<string, string | Uint8Array>): string {
  return replaceDirWith(dir, (tmp) => {
    for (const [name, data] of Object.entries(files)) writeAndSync(join(tmp, name), data);
  });
}

/**
 * replaceDirAtomic for a folder filled by `fill` (given the empty temporary folder; a
 * copy of another folder, say). The same guarantee: the old or the new folder, whole.
 */
export function replaceDirWith(dir: string, fill: (tmp: string) => void): string {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  recoverDir(dir);
  const tmp = tmpName(dir, 'new');
  mkdirSync(tmp);
  try {
    fill(tmp);
    fsyncDir(tmp);
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
  fsyncDir(parent);
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

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary siblings of `path` (`.NAME.tmp-<pid>-...`) that a writer killed
 * between its write and its rename left behind; a temp of a live process is kept.
 * Returns how many were removed.
 */
export function removeStaleTemps(path: string): number {
  const parent = dirname(path);
  if (!existsSync(parent)) return 0;
  const prefix = `.${basename(path)}.tmp-`;
  let removed = 0;
  for (const n of readdirSync(parent)) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) continue;
    rmSync(join(parent, n), { force: true });
    removed++;
  }
  return removed;
}
