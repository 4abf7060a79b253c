// What `setup tensorflow` left in each tfjs-node package (deps/clara-setup.json), for `info`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tfjsProject, type TfjsNodePackage } from './tfjs-node-package.js';
import { SETUP_STATE_FILE } from './tensorflow-setup.js';

interface TensorflowSetupState {
  package: TfjsNodePackage;
  tfVersion?: string;
  variant?: string;
  libDir?: string;
  setupAt?: string;
}

export function tensorflowSetupStates(): TensorflowSetupState[] {
  const out: TensorflowSetupState[] = [];
  let root: string;
  try {
    root = tfjsProject().root;
  } catch {
    return out;
  }
  for (const pkg of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] as const) {
    const f = join(root, 'node_modules', pkg, 'deps', SETUP_STATE_FILE);
    if (!existsSync(f)) continue;
    try {
      const s = JSON.parse(readFileSync(f, 'utf8')) as TensorflowSetupState;
      out.push({ package: pkg, tfVersion: s.tfVersion, variant: s.variant, libDir: s.libDir, setupAt: s.setupAt });
    } catch {
      out.push({ package: pkg });
    }
  }
  return out;
}
