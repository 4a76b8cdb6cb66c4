import { commands } from './commands/index.ts';
import { UsageError, type Command } from './command.ts';

function help(list: readonly Command[]): string {
  const width = Math.max(8, ...list.map((c) => c.name.length));
  const rows = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: saetrace <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    "Run `saetrace <command> --help` for a command's options.",
  ].join('\n');
}

/** Dispatches argv to a command; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: readonly string[], list: readonly Command[] = commands): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help(list));
    return name === undefined ? 2 : 0;
  }
  const cmd = list.find((c) => c.name === name);
  if (!cmd) {
    console.error(`saetrace: unknown command '${name}'. Known: ${list.map((c) => c.name).join(', ') || '(none)'}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.usageFor?.(rest) ?? cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    // A Command written without defineCommand may let parseArgs' ERR_PARSE_ARGS_* errors through: usage errors too.
    const parseError = String((err as { code?: unknown } | null)?.code ?? '').startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || parseError) {
      const usage = (err instanceof UsageError && err.usage) || cmd.usage;
      console.error(`saetrace ${name}: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    console.error(`saetrace ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
