// The files an artifact event stands for: a file goes to <artifactPath>/<its name>, a
// folder's contents go under <artifactPath>/ (MLflow's log_artifact / log_artifacts).
// With `root`, a file that resolves (through symlinks) outside it is left out and reported.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { isInside } from '../util/path-inside.js';

export interface ArtifactFile {
  local: string;
  dest: string;
}

export function artifactFiles(localPath: string, artifactPath: string, root?: { dir: string; outside: (file: string) => void }): ArtifactFile[] | null {
  if (!existsSync(localPath)) return null;
  const realRoot = root ? realpathSync(root.dir) : '';
  const allowed = (p: string): boolean => {
    if (!root) return true;
    if (isInside(realpathSync(p), realRoot)) return true;
    root.outside(p);
    return false;
  };
  const prefix = artifactPath ? `${artifactPath}/` : '';
  const st = statSync(localPath);
  if (st.isFile()) return allowed(localPath) ? [{ local: localPath, dest: `${prefix}${basename(localPath)}` }] : [];
  const out: ArtifactFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      let s;
      try {
        s = statSync(p);
      } catch {
        continue;
      } // a dangling symlink
      if (s.isDirectory()) {
        if (allowed(p)) walk(p);
      } else if (s.isFile() && allowed(p)) out.push({ local: p, dest: `${prefix}${relative(localPath, p).split(sep).join('/')}` });
    }
  };
  walk(localPath);
  return out;
}
