import { parseArgs, type ParseArgsConfig } from 'node:util';
/** One `npx saetrace <name>` command. `run` returns the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full usage text, printed by `saetrace <name> --help`. */
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

/** A usage error: the CLI prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs an argument parser (node:util parseArgs), turning what it throws into a UsageError (exit 2 with the usage). */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A command's options and positionals, parsed by node:util parseArgs; what it refuses is a usage error. */
export function parseCommandArgs<const T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
) {
  return parseOrUsage(() => parseArgs({ args: [...argv], allowPositionals: true as const, options }));
}
