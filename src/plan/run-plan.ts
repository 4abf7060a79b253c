// `clara-train plan`: dataset → fingerprint (cached) → verification → plan → MMAR.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClaraError } from '../util/errors.js';
import type { CaseIssue } from './case-stats.js';
import { readPlanDataset } from './dataset.js';
import { fingerprintDataset, type Fingerprint } from './fingerprint.js';
import { measureTrainStep, planEngine } from './measure-step.js';
import { makePlan, type Plan } from './planner.js';
import { writePlannedMmar } from './write-mmar.js';

interface RunPlanOptions {
  dataset: string;
  out: string;
  modality?: string;
  /** GiB; default 8 on a GPU backend (nnU-Net's reference), 1 on the CPU. */
  memoryBudgetGiB?: number;
  baseFeatures?: number;
  iterations?: number;
  /** Recompute the fingerprint; write into a non-empty folder that is not a planned MMAR. */
  force?: boolean;
  log?: (s: string) => void;
  progress?: NodeJS.WriteStream | null;
}

class DatasetIntegrityError extends ClaraError {
  constructor(
    readonly issues: CaseIssue[],
    file: string,
  ) {
    super(`${issues.length} problem(s) in ${new Set(issues.map((i) => i.case)).size} case(s); nothing was planned:\n${formatIssues(issues)}`, { file });
    this.name = 'DatasetIntegrityError';
  }
}

function formatIssues(issues: CaseIssue[]): string {
  return issues.map((i) => `  ${i.case}: ${i.file}: ${i.problem}`).join('\n');
}

interface PlanResult {
  dir: string;
  plan: Plan;
  fingerprint: Fingerprint;
  reused: number;
  files: string[];
}

export async function runPlan(o: RunPlanOptions): Promise<PlanResult> {
  const log = o.log ?? (() => {});
  const dir = resolve(o.out);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, 'plan')) && !o.force) {
    throw new ClaraError('the output folder exists, is not empty and is not a planned MMAR (use --force to write into it)', { file: dir });
  }
  const ds = readPlanDataset(o.dataset);
  log(
    `dataset ${ds.name}: ${ds.cases.length} labelled case(s), channels ${ds.channels.join(', ')}, labels ${[...ds.labels.entries()].map(([v, n]) => `${v}=${n}`).join(', ')}`,
  );
  const cacheFile = join(dir, 'plan', 'fingerprint.json');
  const fp = await fingerprintDataset(ds, { cacheFile, force: o.force, progress: o.progress });
  if (fp.reused) log(`fingerprint: ${fp.reused} of ${ds.cases.length} case(s) from the cache ${cacheFile}`);
  if (fp.issues.length) throw new DatasetIntegrityError(fp.issues, ds.file);
  const engine = await planEngine(log);
  const gpu = engine.backend.name === 'tfjs-node-gpu';
  const budgetGiB = o.memoryBudgetGiB ?? (gpu ? 8 : 1);
  const plan = await makePlan(fp, {
    modality: o.modality,
    memoryBudgetBytes: Math.round(budgetGiB * 2 ** 30),
    baseFeatures: o.baseFeatures ?? (gpu ? 32 : 8),
    targetIterations: o.iterations ?? (gpu ? 2500 : 150),
    backend: engine.backend.name,
    measure: measureTrainStep,
    log,
  });
  const { files } = writePlannedMmar(dir, ds, plan);
  return { dir, plan, fingerprint: fp, reused: fp.reused, files: ['plan/fingerprint.json', ...files] };
}
