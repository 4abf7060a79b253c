// Runs the clara-train CLI from source (tsx) in a child process: node --import tsx test/helpers/cli-entry.ts <args>
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);
