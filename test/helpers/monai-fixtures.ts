// MONAI reference values: produced live by the committed generator script when
// `python3 -c "import monai"` works, otherwise read from the committed JSON it wrote
// (so CI needs no torch). Set MONAI_FIXTURES=committed to force the committed file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'monai');
let available: boolean | undefined;

export function monaiImportable(): boolean {
  if (available === undefined) {
    available = process.env.MONAI_FIXTURES !== 'committed' && spawnSync('python3', ['-c', 'import monai, torch'], { stdio: 'ignore' }).status === 0;
  }
  return available;
}

/** Returns the fixture data and where it came from. */
export function monaiFixture<T>(script: string, committed: string): { data: T; source: 'live' | 'committed' } {
  if (monaiImportable()) {
    const tmp = mkdtempSync(join(tmpdir(), 'monai-fx-'));
    try {
      const out = join(tmp, committed);
      const r = spawnSync('python3', [join(dir, script), out], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
      return { data: JSON.parse(readFileSync(out, 'utf8')) as T, source: 'live' };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { data: JSON.parse(readFileSync(join(dir, committed), 'utf8')) as T, source: 'committed' };
}
