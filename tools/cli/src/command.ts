import { parseArgs, type ParseArgsConfig } from 'node:util';
/** One `npx saetrace <name>` command. `run` returns the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full usage text, printed by `saetrace <name> --help`. */
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
  /** The usage `saetrace <name> ...argv --help` prints, when it depends on argv (a group: its subcommand's). */
  usageFor?(argv: readonly string[]): string;
}

/** A usage error: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The usage to print instead of the command's own (a group's subcommand's). */
  readonly usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message);
    this.usage = usage;
  }
}

/** A command's options and positionals, parsed by node:util parseArgs; what it refuses is a usage error. */
function parseCommandArgs<const T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true as const, options });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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

/** The synopsis of a usage text: its first paragraph. */
function synopsis(usage: string): string {
  return usage.split('\n\n')[0] as string;
}

/** A command's subcommands, in the order its help lists them. */
export interface GroupSpec {
  readonly name: string;
  readonly summary: string;
  /** Each made with defineCommand (or defineGroup), named by its subcommand; its usage starts with its synopsis. */
  readonly subcommands: readonly Command[];
  /** What the group's help says below the subcommands. */
  readonly notes?: string;
}

/**
 * A command made of subcommands, dispatched on the first argument. No or an unknown subcommand is a usage error
 * listing them; a subcommand's usage errors print its own usage, and so does `saetrace <name> <sub> --help`.
 */
export function defineGroup(spec: GroupSpec): Command {
  const names = spec.subcommands.map((c) => c.name);
  const width = Math.max(...names.map((n) => n.length));
  // The synopses stack under one 'Usage:' (continuation lines of each keep their alignment).
  const synopses = spec.subcommands.map((c, i) => {
    const s = synopsis(c.usage);
    return i > 0 && s.startsWith('Usage: ') ? `       ${s.slice(7)}` : s;
  });
  const usage = [
    ...synopses,
    '',
    'Subcommands:',
    ...spec.subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    ...(spec.notes ? ['', spec.notes] : []),
    '',
    `Run \`saetrace ${spec.name} <subcommand> --help\` for a subcommand's options.`,
  ].join('\n');
  const find = (name: string | undefined) => spec.subcommands.find((c) => c.name === name);
  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    usageFor([name, ...rest]) {
      const sub = find(name);
      return sub ? (sub.usageFor?.(rest) ?? sub.usage) : usage;
    },
    async run([name, ...rest]) {
      const sub = find(name);
      if (!sub)
        throw new UsageError(
          `${name === undefined ? 'a subcommand is required' : `unknown subcommand '${name}'`}; name a subcommand: ${names.join(', ')}`,
        );
      try {
        return await sub.run(rest);
      } catch (err) {
        if (err instanceof UsageError && err.usage === undefined) throw new UsageError(err.message, sub.usage);
        throw err;
      }
    },
  };
}

/** Checks a raw integer option against [min, max]; `what` is how the error describes the range. */
function checkedInt(flag: string, raw: string, min: number, max: number, what: string): number {
  const v = Number(raw);
  // The pattern refuses what Number() would take ('', '1e3', '0x10', '2.0').
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max)
    throw new UsageError(`--${flag} must be ${what}, got '${raw}'`);
  return v;
}

/**
 * An integer option in [min, max] (max Infinity: no upper bound), or its default when absent; anything else is
 * a usage error naming the flag and the range.
 */
export function intOption(flag: string, raw: string | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const what =
    max !== Number.POSITIVE_INFINITY
      ? `an integer in [${min}, ${max}]`
      : min === 0
        ? 'a non-negative integer'
        : `an integer >= ${min}`;
  return checkedInt(flag, raw, min, max, what);
}

/** A positive integer option (a count or a size), or its default when absent (undefined without one). */
export function positiveIntOption(flag: string, raw: string | undefined, fallback: number): number;
export function positiveIntOption(flag: string, raw: string | undefined): number | undefined;
export function positiveIntOption(flag: string, raw: string | undefined, fallback?: number): number | undefined {
  return raw === undefined ? fallback : checkedInt(flag, raw, 1, Number.POSITIVE_INFINITY, 'a positive integer');
}

/** A number option in (above, atMost], or its default when absent; a usage error naming the range otherwise. */
export function numberOption(
  flag: string,
  raw: string | undefined,
  above: number,
  atMost: number,
  fallback: number,
): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !(v > above && v <= atMost))
    throw new UsageError(`--${flag} must be in (${above}, ${atMost}], got '${raw}'`);
  return v;
}

/** A string option that must be given; `metavar` names what it takes in the error ('--out DIR is required'). */
export function requiredOption(flag: string, raw: string | undefined, metavar?: string): string {
  if (raw === undefined || raw === '') throw new UsageError(`--${flag}${metavar ? ` ${metavar}` : ''} is required`);
  return raw;
}

/** One of the named choices; a usage error listing them otherwise. */
export function choiceOption<const C extends string>(flag: string, raw: string | undefined, choices: readonly C[]): C {
  if (raw === undefined || !(choices as readonly string[]).includes(raw))
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got '${raw ?? ''}'`);
  return raw as C;
}
