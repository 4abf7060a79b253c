// The one place that loads the native addon. Everything else imports `native()`.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './binding.js';
import { applyLargeBufferPolicy, type LargeBufferPolicy } from './alloc.js';

const require = createRequire(import.meta.url);

/** The package root: the folder holding package.json (dist/native/.. or src/native/..). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error(`clara-train: cannot find the package root above ${fileURLToPath(import.meta.url)}`);
}

export class NativeLoadError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'NativeLoadError';
  }
}

let cached: NativeAddon | undefined;
let largeBufferPolicy: LargeBufferPolicy | undefined;

/** What the addon did about large allocations when it loaded (undefined before it loads). */
export function largeBuffers(): LargeBufferPolicy | undefined {
  return largeBufferPolicy;
}

/** Candidate paths of the compiled addon, first found wins. CLARA_NATIVE_PATH overrides. */
export function addonCandidates(root = packageRoot()): string[] {
  const env = process.env.CLARA_NATIVE_PATH;
  return [...(env ? [resolve(env)] : []), join(root, 'build', 'Release', 'clara_native.node'), join(root, 'build', 'Debug', 'clara_native.node')];
}

/** Explains why the addon is not there and how to build it. */
export function explainMissingAddon(root: string, tried: string[], cause?: unknown): string {
  const lines = ['clara-train: the native addon (clara_native.node) could not be loaded.', `  looked in: ${tried.join(', ')}`];
  if (cause instanceof Error) lines.push(`  loader said: ${cause.message.split('\n')[0]}`);
  const hints: string[] = [];
  const onPath = (cmd: string) => (process.env.PATH ?? '').split(':').some((p) => p && existsSync(join(p, cmd)));
  if (!onPath('cmake')) hints.push('cmake is not on PATH: install it (Debian: apt-get install cmake; or pip install cmake)');
  if (!onPath('c++') && !onPath('g++') && !onPath('clang++')) hints.push('no C++ compiler on PATH: install one (Debian: apt-get install g++)');
  if (!existsSync(join(root, 'node_modules', 'node-addon-api'))) hints.push('node-addon-api is missing: run npm ci in the package folder');
  hints.push(`rebuild with: (cd ${root} && npx cmake-js compile --out build)`);
  return [...lines, ...hints.map((h) => `  - ${h}`)].join('\n');
}

/** Loads (once) and returns the addon; throws NativeLoadError with a fix when it is missing. */
export function native(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  const tried = addonCandidates(root);
  let lastError: unknown;
  for (const path of tried) {
    if (!existsSync(path)) continue;
    try {
      cached = require(path) as NativeAddon;
      largeBufferPolicy = applyLargeBufferPolicy(cached);
      return cached;
    } catch (e) {
      lastError = e;
    }
  }
  throw new NativeLoadError(explainMissingAddon(root, tried, lastError), lastError);
}

/** The addon if it loads, otherwise undefined (for code with a TypeScript fallback). */
export function tryNative(): NativeAddon | undefined {
  try {
    return native();
  } catch {
    return undefined;
  }
}
