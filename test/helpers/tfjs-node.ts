// tfjs-node for tests: present (after `clara-train setup tensorflow`) → run; missing → skip
// with the reason, except under CI=true, where .ci/run has set it up and missing is a failure.
export async function requireTfjsNode(): Promise<string | undefined> {
  try {
    const pkg = '@tensorflow/tfjs-node'; // not a literal: it is installed by `setup tensorflow`, after the type check
    await import(pkg);
    return undefined;
  } catch (e) {
    const reason = `@tensorflow/tfjs-node does not load (run clara-train setup tensorflow): ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
    if (process.env.CI === 'true') throw new Error(`${reason} (required under CI=true)`);
    return reason;
  }
}
