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

type Options = NonNullable<ParseArgsConfig['options']>;

/** What a command defined with defineCommand receives: its options typed from their declaration. */
export type CommandArgs<O extends Options> = ReturnType<typeof parseCommandArgs<O>>;

/** A command declared by its options and how many positionals it takes; defineCommand does the rest. */
export interface CommandSpec<O extends Options> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: O;
  /** Positional arguments allowed (default none): an error names what was expected. */
  readonly positionals?: { readonly min?: number; readonly max?: number; readonly what: string };
  run(args: CommandArgs<O>): Promise<number>;
}

/**
 * The one way to write a command: options parsed by node:util parseArgs from their declaration (an unknown
 * flag or a missing value is a usage error, exit 2, as every other usage error), positionals counted.
 */
export function defineCommand<const O extends Options>(spec: CommandSpec<O>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(argv) {
      const args = parseCommandArgs(argv, spec.options);
      const { min = 0, max = 0, what = 'nothing' } = spec.positionals ?? {};
      const n = args.positionals.length;
      if (n < min || n > max)
        throw new UsageError(
          `expected ${min === max ? min : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`} positional argument${max === 1 ? '' : 's'} (${what}), got ${n}${n ? `: ${args.positionals.join(' ')}` : ''}`,
        );
      return spec.run(args);
    },
  };
}

/** An integer option in [min, max], or its default when absent; anything else is a usage error naming the flag. */
export function intOption(flag: string, raw: string | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max)
    throw new UsageError(`--${flag} must be an integer in [${min}, ${max}], got '${raw}'`);
  return v;
}

/** One of the named choices; a usage error listing them otherwise. */
export function choiceOption<const C extends string>(flag: string, raw: string | undefined, choices: readonly C[]): C {
  if (raw === undefined || !(choices as readonly string[]).includes(raw))
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got '${raw ?? ''}'`);
  return raw as C;
}
