// The files an artifact event stands for: a file goes to <artifactPath>/<its name>, a
// folder's contents go under <artifactPath>/ (MLflow's log_artifact / log_artifacts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

export interface ArtifactFile { local: string; dest: string }

export function artifactFiles(localPath: string, artifactPath: string): ArtifactFile[] | null {
  if (!existsSync(localPath)) return null;
  const prefix = artifactPath ? `${artifactPath}/` : '';
  const st = statSync(localPath);
  if (st.isFile()) return [{ local: localPath, dest: `${prefix}${basename(localPath)}` }];
  const out: ArtifactFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (s.isFile()) out.push({ local: p, dest: `${prefix}${relative(localPath, p).split(sep).join('/')}` });
    }
  };
  walk(localPath);
  return out;
}
