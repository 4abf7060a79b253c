// The cross-validation end-to-end tests' setup: the synthetic example (6 training cases in
// 3 folds + 2 held-out cases, 20³, 16³ crops and windows) made by the REAL `clara-train
// init` in a temp folder, the CLI run from source as a child process, and the jobs'
// `train` command pointing at the source too. MLflow goes to the temp folder's ./mlruns.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const readJson = <T = any>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;
export const writeJson = (f: string, j: unknown) => writeFileSync(f, JSON.stringify(j, null, 2) + '\n');

export interface CvExample {
  tmp: string;
  mmar: string;
  /** Runs `clara-train ARGS` in the temp folder; killed after `ms`. */
  cli(args: string[], ms: number): Promise<{ code: number | null; out: string; err: string }>;
}

/** Makes the example (its config_train.json patched by `patch`) and removes it when the test ends (KEEP_E2E keeps it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function cvExample(t: { after(fn: () => void): void }, prefix: string, patch: (tc: any) => void): Promise<CvExample> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    if (!process.env.KEEP_E2E) rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  });
  const mmar = join(tmp, 'synth');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLARA_TRAIN_COMMAND: JSON.stringify([process.execPath, '--import', TSX, ENTRY, 'train', '-m', '{mmar}', '-q']),
  };
  delete env.MLFLOW_TRACKING_URI;
  delete env.CLARA_JOB_NAME;
  const cli = (args: string[], ms: number) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.stderr!.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    return new Promise<{ code: number | null; out: string; err: string }>((res) =>
      child.on('exit', (code) => {
        clearTimeout(timer);
        res({ code, out, err });
      }),
    );
  };
  const init = await cli(['init', '--example', 'synthetic', mmar, '--train-cases', '6', '--val-cases', '2', '--size', '20'], 120_000);
  if (init.code !== 0) throw new Error(`init failed: ${init.err}`);
  const tf = join(mmar, 'config', 'config_train.json');
  const tc = readJson(tf);
  tc.train.pre_transforms.find((x: { name: string }) => x.name === 'RandCropByPosNegLabeld').args.spatial_size = [16, 16, 16];
  tc.validate.inferer.args.roi_size = [16, 16, 16];
  patch(tc);
  writeJson(tf, tc);
  return { tmp, mmar, cli };
}

/** Every run in the temp folder's ./mlruns: its id, tags, metric names and whether it is deleted. */
export function mlrunsRuns(tmp: string): { id: string; tags: Record<string, string>; metrics: string[]; deleted: boolean }[] {
  const runs: { id: string; tags: Record<string, string>; metrics: string[]; deleted: boolean }[] = [];
  for (const exp of readdirSync(join(tmp, 'mlruns')).filter((x) => /^\d+$/.test(x))) {
    for (const id of readdirSync(join(tmp, 'mlruns', exp))) {
      const dir = join(tmp, 'mlruns', exp, id);
      if (!existsSync(join(dir, 'tags'))) continue;
      const tags = Object.fromEntries(readdirSync(join(dir, 'tags')).map((k) => [k, readFileSync(join(dir, 'tags', k), 'utf8')]));
      const deleted = existsSync(join(dir, 'meta.yaml')) && /lifecycle_stage: deleted/.test(readFileSync(join(dir, 'meta.yaml'), 'utf8'));
      runs.push({ id, tags, metrics: existsSync(join(dir, 'metrics')) ? readdirSync(join(dir, 'metrics')) : [], deleted });
    }
  }
  return runs;
}
