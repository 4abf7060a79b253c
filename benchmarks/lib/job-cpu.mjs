// `node benchmarks/lib/job-cpu.mjs OUT.jsonl train -m MMAR ...`: runs the built clara-train
// CLI in this process and appends its process CPU time (user + system, every thread:
// getrusage of the process) as one JSON line to OUT.jsonl when it exits, also when it is
// stopped by SIGTERM (a pruned job). The search benchmark uses it as the jobs' command.
import { appendFileSync } from 'node:fs';

const [out, ...args] = process.argv.slice(2);
const t0 = Date.now();
let written = false;
const record = (how) => {
  if (written) return;
  written = true;
  const u = process.cpuUsage();
  appendFileSync(
    out,
    JSON.stringify({ job: process.env.CLARA_JOB_NAME ?? null, cpu_s: (u.user + u.system) / 1e6, wall_s: (Date.now() - t0) / 1000, end: how }) + '\n',
  );
};
process.on('exit', () => record('exit'));
process.on('SIGTERM', () => {
  record('SIGTERM');
  process.exit(143);
});
const { main } = await import('../../dist/cli/main.js');
process.exitCode = await main([process.argv[0], 'clara-train', ...args]);
