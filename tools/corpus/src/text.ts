import { spawnSync } from 'node:child_process';

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
};

/** Plain text of an HTML help page: scripts, styles and navigation dropped, block elements as line breaks. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head|nav)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(br|\/p|\/div|\/h[1-6]|\/li|\/tr|\/dt|\/dd|\/pre|\/table)\b[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&([a-z]+);/gi, (m, e: string) => ENTITIES[e.toLowerCase()] ?? m)
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .filter((l) => l.length > 0)
    .join('\n');
}

/**
 * Renders a man page (roff source, possibly gzip-compressed) to plain UTF-8 text with groff, without
 * overstrikes or colour. Returns null with a reason when groff fails.
 */
export function manToText(source: Buffer): { text: string } | { error: string } {
  const pre = spawnSync('preconv', ['-e', 'utf-8'], { input: source, maxBuffer: 64 * 2 ** 20 });
  if (pre.status !== 0) return { error: `preconv failed: ${pre.stderr.toString().trim()}` };
  const res = spawnSync('groff', ['-mandoc', '-Tutf8', '-P-cbou', '-rLL=100n', '-dAD=l', '-rHY=0', '-t'], {
    input: pre.stdout,
    maxBuffer: 64 * 2 ** 20,
  });
  if (res.status !== 0 || res.error)
    return { error: `groff failed: ${res.error?.message ?? res.stderr.toString().trim().split('\n')[0]}` };
  const text = res.stdout
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim().replace(/ {2,}/g, ' '))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { text };
}
