// Headless Chromium (Debian's `chromium`) for tests that look at the HTML report: skip
// when it is missing, except under CI=true where that is a failure (.ci/run installs it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function chromiumPath(): string | undefined {
  for (const c of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' });
    const p = r.stdout.trim();
    if (r.status === 0 && p && existsSync(p)) return p;
  }
  return undefined;
}

/** A reason to skip, or false; throws under CI=true when Chromium is missing. */
export function skipUnlessChromium(): string | false {
  if (chromiumPath()) return false;
  if (process.env.CI === 'true') throw new Error('CI=true and chromium is not installed (apt-get install chromium)');
  return 'chromium is not installed (apt-get install chromium)';
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--hide-scrollbars',
  '--mute-audio',
  '--disable-extensions',
];

/** Runs chromium with the flags and returns stdout; kills it after timeoutMs. */
export function chromium(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = chromiumPath();
  if (!bin) throw new Error('chromium is not installed');
  return new Promise((res) => {
    const child = spawn(bin, [...FLAGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}
