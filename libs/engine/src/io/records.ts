import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * A JSON record on disk that cannot be read, is not JSON or has the wrong shape. The message names the file,
 * the line and column of a syntax error, and what to do about it (`fix`), so a corrupt cache entry or golden
 * never ends a run with a bare `Unexpected token`.
 */
export class RecordError extends Error {
  override readonly name = 'RecordError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly fix: string,
  ) {
    super(`${file}: ${detail}; ${fix}`);
  }
}

/** Checks a parsed value's shape; returns null when it fits, else what is wrong (e.g. "members is not a list"). */
export type RecordCheck = (value: unknown) => string | null;

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < Math.min(offset, text.length); i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  return { line, column: offset - last };
}

/**
 * Where JSON text first goes wrong: V8's message gives a position for some errors ("... at position N") and
 * none for others ("Unexpected token ',', ...\"2,,\" is not valid JSON"), so the text is scanned (RFC 8259
 * grammar, only run after JSON.parse has failed) for the offset of the first character that cannot continue it.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (w: string) => {
    if (text.startsWith(w, i)) i += w.length;
    else fail();
  };
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const ch = text.charCodeAt(i);
      if (ch < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '"') {
      str();
      return;
    }
    if (c === 't') {
      lit('true');
      return;
    }
    if (c === 'f') {
      lit('false');
      return;
    }
    if (c === 'n') {
      lit('null');
      return;
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += (m as RegExpExecArray)[0].length;
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return at as number;
  }
}

/** Parses JSON text read from `file`; syntax errors come back as RecordError with line and column. */
export function parseJsonRecord<T>(
  text: string,
  file: string,
  fix: string,
  check?: RecordCheck,
  reviver?: (key: string, value: unknown) => unknown,
): T {
  let value: unknown;
  try {
    value = JSON.parse(text, reviver);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /at position (\d+)/.exec(msg);
    const offset = pos ? Number(pos[1]) : jsonErrorOffset(text);
    const where =
      offset >= 0 ? (({ line, column }) => ` at line ${line}, column ${column}`)(lineColumn(text, offset)) : '';
    throw new RecordError(file, `is not valid JSON${where} (${msg.split('\n')[0]})`, fix);
  }
  const wrong = check?.(value) ?? null;
  if (wrong !== null) throw new RecordError(file, `has the wrong shape: ${wrong}`, fix);
  return value as T;
}

function readError(file: string, err: unknown, fix: string): RecordError {
  return new RecordError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, fix);
}

/** Reads and parses one JSON record; every failure names the file and says what to do (`fix`). */
export function readJsonRecord<T>(
  file: string,
  fix: string,
  check?: RecordCheck,
  reviver?: (key: string, value: unknown) => unknown,
): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw readError(file, err, fix);
  }
  return parseJsonRecord<T>(text, file, fix, check, reviver);
}

/** Asynchronous twin of readJsonRecord. */
export async function readJsonRecordAsync<T>(file: string, fix: string, check?: RecordCheck): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw readError(file, err, fix);
  }
  return parseJsonRecord<T>(text, file, fix, check);
}

/** A RecordCheck for objects: each named field must pass its test (e.g. `isNumber`); the first failure is reported. */
export function fields(tests: Readonly<Record<string, (v: unknown) => boolean>>): RecordCheck {
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
    for (const [key, ok] of Object.entries(tests))
      if (!ok((value as Record<string, unknown>)[key])) return `field '${key}' is missing or of the wrong type`;
    return null;
  };
}

export const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
export const isString = (v: unknown): boolean => typeof v === 'string';
export const isArray = (v: unknown): boolean => Array.isArray(v);
export const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The usual advice for a cache entry: it is rebuilt when deleted. */
export const DELETE_CACHE = (what: string): string => `delete ${what} and run again to rebuild it`;
