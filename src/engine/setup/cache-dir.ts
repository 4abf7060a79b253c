// Where `clara-train setup` keeps what it downloads and builds, shared by every checkout
// of the user: CLARA_CACHE_DIR, else $XDG_CACHE_HOME/clara-train, else ~/.cache/clara-train.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function claraCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLARA_CACHE_DIR) return resolve(env.CLARA_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'clara-train');
  return join(homedir(), '.cache', 'clara-train');
}
