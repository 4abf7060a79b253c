// The datasets the nnU-Net oracle compares on (test/plan/nnunet-oracle.test.ts and
// test/fixtures/nnunet/make_fixtures.ts build them the same way, seeded).
import { join } from 'node:path';
import { initSynthetic } from '../../src/cli/init/init-example.js';
import { haveTemplates, makeAnisotropicDataset, makeBrainDataset } from './datasets.js';

export const ORACLE_DATASETS = {
  synthetic: async (dir: string) => join(await initSynthetic({ example: 'synthetic', dir, trainCases: 5, valCases: 2, size: 32, classes: 2 }), 'data'),
  anisotropic: (dir: string) => makeAnisotropicDataset(dir, 40),
  brain: (dir: string) => makeBrainDataset(dir),
} as const;

export type OracleName = keyof typeof ORACLE_DATASETS;

export function oracleAvailable(name: OracleName): boolean {
  return name !== 'brain' || haveTemplates();
}
