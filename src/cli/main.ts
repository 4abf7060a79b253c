// Entry point used by bin/clara-train.js.
import { buildProgram } from './program.js';
import { ClaraError } from '../util/errors.js';
import { errorLine } from './error-line.js';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof ClaraError || (e instanceof Error && e.name === 'NativeLoadError')) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    if (
      e &&
      typeof e === 'object' &&
      'code' in e &&
      typeof (e as { code: unknown }).code === 'string' &&
      String((e as { code: string }).code).startsWith('commander.')
    ) {
      return (e as { exitCode?: number }).exitCode ?? 1;
    }
    process.stderr.write(`error: ${errorLine(e)}\n`);
    return 1;
  }
}
