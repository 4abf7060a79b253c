// `clara-train ensemble -o DIR --member MMAR ...`: the fold models of a cross-validation as a
// ready ensemble folder. For each member (an MMAR trained with `fold` set): its best
// checkpoint is exported to DIR/fold<k>, and it predicts its own fold's validation cases (the
// cross-validation predictions). nnU-Net's postprocessing rule is decided on those pooled
// predictions. When the datalist also has a held-out list (default "validation", which no
// fold trains or validates on), every fold alone, the ensemble, and the ensemble with
// postprocessing (and with --tta) are scored on it. DIR gets ensemble.json (members +
// postprocessing, what `infer --model DIR` runs), postprocessing.json and results.json
// (Dice, HD95, NSD per fold, per case and for the ensemble).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initEngine } from '../engine/index.js';
import { readDatalistJson, loadClaraDatalist } from '../io/datalist.js';
import { isPlainObject } from '../util/json-file.js';
import { claraLayout } from '../config/tree.js';
import type { LoadedMmar } from '../mmar/load.js';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { ClaraError } from '../util/errors.js';
import { buildModelParts } from './build-setup.js';
import { disposeCheckpoint, loadCheckpoint, resolveCheckpointPath } from './checkpoint.js';
import { exportModel } from './export-model.js';
import { foldData, foldOf } from './fold-data.js';
import {
  DEFAULT_NSD_TOLERANCE,
  ENSEMBLE_FILE,
  ENSEMBLE_FORMAT,
  disposeMembers,
  loadMember,
  meanScores,
  runEnsembleInfer,
  scoreCase,
  type CaseInput,
  type CaseScores,
  type EnsembleManifest,
  type LoadedMember,
} from './infer-ensemble.js';
import { applyPostprocessing, decidePostprocessing, type PredictedCase } from './inference/postprocessing.js';
import { loadMmarWithOverrides } from './load-with-overrides.js';

interface BuildEnsembleOptions {
  /** Member MMARs (each trained with `fold` set, in its config or through `set`). */
  members: { mmar: string; set?: string[] }[];
  output: string;
  nsdTolerance?: number;
  /** Datalist list of held-out cases (default "validation" when the train datalist has it; "" = none). */
  heldOutKey?: string;
  /** Also score the ensemble with mirror TTA on the held-out cases. */
  tta?: boolean;
  log?: (s: string) => void;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? (v as Obj) : undefined);
const clean = (s: CaseScores | undefined) => s && Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));

/** The held-out list of the train section's datalist (absolute paths), when it has one. */
function heldOutCases(m: LoadedMmar, key: string): CaseInput[] {
  const t = obj(m.train.json.train) ?? {};
  const a = claraLayout(m.train.json) === 4 ? { ...(obj(obj(t.dataset)?.args) ?? {}), ...(obj(t.dataset) ?? {}) } : (obj(obj(t.image_pipeline)?.args) ?? {});
  if (typeof a.data_list_file_path !== 'string') return [];
  const file = resolve(m.paths.root, a.data_list_file_path);
  if (!existsSync(file) || !Array.isArray(readDatalistJson(file)[key])) return [];
  return loadClaraDatalist({ ...a, data_list_key: key }, { mmarRoot: m.paths.root })
    .filter((x) => typeof x.image === 'string')
    .map((x) => ({ image: x.image as string, label: typeof x.label === 'string' ? x.label : undefined }));
}

export async function buildEnsemble(o: BuildEnsembleOptions) {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  if (o.members.length === 0) throw new ClaraError('give at least one --member MMAR');
  const out = resolve(o.output);
  const tolerance = o.nsdTolerance ?? DEFAULT_NSD_TOLERANCE;
  await initEngine({ amp: false, log });
  const names: string[] = [];
  const perFold: Obj[] = [];
  const cvPreds: PredictedCase[] = [];
  let heldOut: CaseInput[] = [];
  let numClasses = 2;
  const members: LoadedMember[] = [];
  try {
    for (const [i, spec] of o.members.entries()) {
      const m = loadMmarWithOverrides(spec.mmar, { set: spec.set, automl: false });
      const f = foldOf(m);
      const name = f ? `fold${f.fold}` : `model${i}`;
      if (names.includes(name)) throw new ClaraError(`two members are ${name}: give each fold once`, { file: m.paths.root });
      names.push(name);
      const parts = await buildModelParts(m, () => {});
      const src = resolveCheckpointPath(join(parts.ckptDir, 'best'));
      if (!existsSync(src)) throw new ClaraError('no trained model (models/best) in this member: train it first', { file: src });
      const ck = loadCheckpoint(src);
      try {
        await exportModel(m, parts, ck, join(out, name));
      } finally {
        disposeCheckpoint(ck);
      }
      const member = loadMember(join(out, name));
      members.push(member);
      numClasses = member.meta.output.channels === 1 ? 2 : member.meta.output.channels;
      const cv = f ? (foldData(m, 'validate') ?? []).map((x) => ({ image: String(x.image), label: typeof x.label === 'string' ? x.label : undefined })) : [];
      const r = await runEnsembleInfer({ members: [member], cases: cv, nsdTolerance: tolerance, keepPredictions: true, log: () => {} });
      cvPreds.push(...r.predictions);
      perFold.push({
        member: name,
        mmar: resolve(spec.mmar),
        fold: f?.fold ?? null,
        cv_cases: Object.keys(r.perCase).length,
        cv: clean(r.mean?.raw),
        cv_per_case: Object.fromEntries(Object.entries(r.perCase).map(([id, s]) => [id, clean(s.raw)])),
      });
      log(
        `${name}: exported; cross-validation on ${Object.keys(r.perCase).length} case(s): Dice ${r.mean?.raw.dice.toFixed(4) ?? 'n/a'}, HD95 ${r.mean?.raw.hd95.toFixed(3) ?? 'n/a'}, NSD ${r.mean?.raw.nsd.toFixed(4) ?? 'n/a'}`,
      );
      if (i === 0 && f && o.heldOutKey !== '') heldOut = heldOutCases(m, o.heldOutKey ?? 'validation');
    }
    const decision = decidePostprocessing(cvPreds, numClasses);
    log(
      `postprocessing: largest component kept for class(es) [${decision.largest_component_classes.join(', ')}] (CV mean Dice ${decision.mean_dice_before?.toFixed(4)} → ${decision.mean_dice_after?.toFixed(4)})`,
    );
    const cvScores = (post: boolean) =>
      meanScores(
        cvPreds.map((c) =>
          scoreCase(post ? applyPostprocessing(c.pred, c.shape, decision) : c.pred, c.label, c.shape, c.spacing ?? [1, 1, 1], numClasses, tolerance),
        ),
      );
    const held: Obj = { key: heldOut.length ? (o.heldOutKey ?? 'validation') : null, cases: heldOut.length };
    if (heldOut.length) {
      const single: Obj[] = [];
      for (const [k, mem] of members.entries()) {
        const r = await runEnsembleInfer({ members: [mem], cases: heldOut, nsdTolerance: tolerance, log: () => {} });
        single.push({ member: names[k], ...clean(r.mean!.raw) });
      }
      held.per_fold = single;
      const e = await runEnsembleInfer({ members, cases: heldOut, nsdTolerance: tolerance, postprocessing: decision, log: () => {} });
      held.ensemble = clean(e.mean!.raw);
      held.ensemble_postprocessed = clean(e.mean!.post);
      held.per_case = Object.fromEntries(Object.entries(e.perCase).map(([id, s]) => [id, { ensemble: clean(s.raw), postprocessed: clean(s.post) }]));
      if (o.tta) {
        const t = await runEnsembleInfer({ members, cases: heldOut, nsdTolerance: tolerance, postprocessing: decision, tta: true, log: () => {} });
        held.ensemble_tta = clean(t.mean!.raw);
        held.ensemble_tta_postprocessed = clean(t.mean!.post);
      }
      const best = Math.max(...single.map((s) => (s.dice as number | null) ?? -Infinity));
      held.best_single_fold_dice = best;
      log(
        `held-out "${held.key}" (${heldOut.length} case(s)): best single fold Dice ${best.toFixed(4)}, ensemble ${e.mean!.raw.dice.toFixed(4)}, postprocessed ${e.mean!.post!.dice.toFixed(4)}; HD95 ${e.mean!.raw.hd95.toFixed(3)}, NSD ${e.mean!.raw.nsd.toFixed(4)}`,
      );
    }
    const results = {
      nsd_tolerance_mm: tolerance,
      per_fold: perFold,
      cross_validation: { cases: cvPreds.length, raw: clean(cvScores(false)), postprocessed: clean(cvScores(true)) },
      postprocessing: decision,
      held_out: held,
    };
    writeJsonAtomic(join(out, 'results.json'), results);
    writeJsonAtomic(join(out, 'postprocessing.json'), decision);
    const manifest: EnsembleManifest = {
      format: ENSEMBLE_FORMAT,
      members: names,
      postprocessing: { largest_component_classes: decision.largest_component_classes },
      nsd_tolerance_mm: tolerance,
      created: new Date().toISOString(),
    };
    // written last: a folder is an ensemble only once everything it names is there
    writeJsonAtomic(join(out, ENSEMBLE_FILE), manifest);
    log(`ensemble of ${names.length} model(s) → ${out} (infer --model ${out} --input FILE -o DIR)`);
    return { output: out, manifest, results };
  } finally {
    disposeMembers(members);
  }
}
