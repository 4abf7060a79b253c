// Options shared by the commands that load an MMAR's train config (train, validate, export).
import type { Command } from 'commander';

/** Commander accumulator for a repeatable option (-s K=V -s K2=V2 → ['K=V', 'K2=V2']). */
export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** Adds the required `-m, --mmar`, `-c, --config` (default config/config_train.json) and `-s, --set <K=V...>`. */
export function withMmarOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-m, --mmar <dir>', 'MMAR root')
    .option('-c, --config <file>', 'train config, relative to the MMAR root', 'config/config_train.json')
    .option('-s, --set <K=V...>', 'override variables (K=V, several allowed)', collect);
}
