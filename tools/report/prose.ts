// Report prose lives in markdown files (tools/report/prose/<name>.md) rather than in long string literals: a
// passage reads as it renders, and the code says only which values fill it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, 'prose');
const cache = new Map<string, string>();

/**
 * The passage `name` with each `{{key}}` replaced by vars[key]. A placeholder without a value, or a value without
 * a placeholder, is an error naming the file (a template and its caller cannot drift apart silently).
 */
export function prose(name: string, vars: Readonly<Record<string, string | number>> = {}): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(DIR, `${name}.md`), 'utf8').replace(/\n+$/, '');
    cache.set(name, text);
  }
  const file = `tools/report/prose/${name}.md`;
  const used = new Set<string>();
  const out = text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new Error(`${file}: no value for {{${key}}}`);
    used.add(key);
    return String(v);
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length) throw new Error(`${file}: no placeholder for ${unused.map((k) => `{{${k}}}`).join(', ')}`);
  return out;
}
