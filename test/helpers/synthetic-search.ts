// The synthetic example MMAR shrunk for end-to-end searches on a 2-core machine: 16³ crops
// and windows, validation every epoch, every job folder kept, no early stop, a seeded
// RandomController. The three searched things (learning_rate, Dice vs Focal, use_amp) stay.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const readJson = <T = any>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;
const writeJson = (f: string, j: unknown) => writeFileSync(f, JSON.stringify(j, null, 2) + '\n');

export function shrinkSyntheticSearch(mmar: string, o: { epochs: number; rounds: number; seed: number }): void {
  const tf = join(mmar, 'config', 'config_train.json');
  const t = readJson(tf);
  t.epochs = o.epochs;
  t.num_interval_per_valid = 1;
  const crop = t.train.pre_transforms.find((x: { name: string }) => x.name === 'RandCropByPosNegLabeld');
  crop.args.spatial_size = [16, 16, 16];
  t.validate.inferer.args.roi_size = [16, 16, 16];
  const s = t.search as { type: string; args: string[]; log?: boolean }[];
  assert.ok(s.some((x) => x.type === 'float' && x.args.includes('learning_rate') && x.log));
  assert.ok(s.some((x) => x.type === 'enum' && x.args.includes('disableDiceLoss')));
  assert.ok(s.some((x) => x.type === 'enum' && x.args.includes('use_amp')));
  writeJson(tf, t);

  const af = join(mmar, 'config', 'config_automl.json');
  const a = readJson(af);
  const mh = a.handlers.find((h: { name: string }) => h.name === 'MMARHandler');
  delete mh.args.num_mmars_to_keep;
  delete mh.args.stop_threshold;
  a.controller = { name: 'RandomController', args: { max_rounds: o.rounds, max_jobs_per_round: 2, seed: o.seed } };
  writeJson(af, a);
}
