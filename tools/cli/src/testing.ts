// For the CLI's tests: run `main` on some commands and capture what it prints.
import type { Command } from './command.ts';
import { main } from './main.ts';

/** Runs `saetrace <argv>` over `commands` with console.log / console.error captured; the exit code and both texts. */
export async function runCaptured(
  argv: string[],
  commands: readonly Command[],
): Promise<{ code: number; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  let out = '';
  let err = '';
  console.log = (s: string) => {
    out += `${s}\n`;
  };
  console.error = (s: string) => {
    err += `${s}\n`;
  };
  try {
    return { code: await main(argv, commands), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}
