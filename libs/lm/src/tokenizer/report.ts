import type { TrainStats } from './train.ts';
import type { LanguageMeasures, TokenizerMeasures } from './measure.ts';

/** What `tokenizer train` records beside tokenizer.json (deterministic: no timings). */
export interface TrainingRecord {
  readonly pair: string;
  readonly split: string;
  readonly vocabSize: number;
  readonly options: Readonly<Record<string, number>>;
  readonly stats: TrainStats;
  /** sha256 of each input file, by file name. */
  readonly inputs: Readonly<Record<string, string>>;
}

const pct = (x: number): string => `${(100 * x).toFixed(3)}%`;
const num = (x: number): string => x.toLocaleString('en-US');

function row(lang: string, m: LanguageMeasures): string {
  return `| ${lang} | ${num(m.documents)} | ${num(m.characters)} | ${num(m.words)} | ${num(m.tokens)} | ${m.tokensPerCharacter.toFixed(3)} | ${m.tokensPerWord.toFixed(3)} | ${pct(m.byteTokenRate)} | ${pct(m.byteCharacterRate)} | ${m.roundTripFailures} |`;
}

/** The Markdown section of reports/tokenizer.md for one pair. */
export function renderPairReport(
  pair: string,
  tokenizerDir: string,
  split: string,
  measures: TokenizerMeasures,
  training: TrainingRecord | null,
  staleInputs: readonly string[] = [],
): string {
  const [a, b] = pair.split('-') as [string, string];
  const lines: string[] = [`## ${pair}`, ''];
  if (staleInputs.length > 0)
    lines.push(`**Stale:** ${staleInputs.join(', ')} changed since this tokenizer was trained; retrain it.`, '');
  if (training !== null) {
    const s = training.stats;
    lines.push(
      `Tokenizer \`${tokenizerDir}\`: byte-fallback BPE, ${num(s.vocabSize)} tokens (4 specials, 256 bytes, ` +
        `${num(s.keptCharacters)} characters covering ${pct(s.characterCoverage)} of character occurrences, ${num(s.merges)} merges), ` +
        `trained on the ${training.split} split: ${num(s.documents)} documents, ${num(s.characters)} characters, ${num(s.distinctWords)} distinct pre-tokens, ${num(s.distinctCharacters)} distinct characters.`,
      '',
    );
  } else {
    lines.push(`Tokenizer \`${tokenizerDir}\` (no training.json beside it).`, '');
  }
  lines.push(
    `Measured on the ${split} split (tokens without BOS; characters exclude whitespace; words are whitespace-separated):`,
    '',
    '| lang | docs | characters | words | tokens | tokens/char | tokens/word | byte tokens | chars spelled in bytes | round-trip failures |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const lang of Object.keys(measures)) lines.push(row(lang, measures[lang]!));
  lines.push('');
  const en = measures[a === 'en' ? a : b];
  const other = measures[a === 'en' ? b : a];
  const otherLang = a === 'en' ? b : a;
  if (en !== undefined)
    lines.push(
      `- **English: ${en.tokensPerWord.toFixed(3)} tokens per word** (${(en.characters / Math.max(1, en.tokens)).toFixed(2)} characters per token).`,
    );
  if (other !== undefined) {
    lines.push(
      `- **${otherLang}: ${other.tokensPerCharacter.toFixed(3)} tokens per character** (${(other.characters / Math.max(1, other.tokens)).toFixed(2)} characters per token); ` +
        `byte-fallback tokens are ${pct(other.byteTokenRate)} of its tokens.`,
    );
    const j = other.japaneseScript;
    if (j.occurrences > 0) {
      lines.push(
        `- Kana and kanji: ${num(j.distinct)} distinct, ${num(j.occurrences)} occurrences; ${num(j.byteDistinct)} distinct characters ` +
          `(${num(j.byteOccurrences)} occurrences, ${pct(j.byteOccurrences / j.occurrences)}) have no token and fall back to bytes.` +
          (j.topByteCharacters.length > 0
            ? ` Most frequent of them: ${j.topByteCharacters.map(([c, n]) => `${c} ×${n}`).join(', ')}.`
            : ''),
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

const HEADER = [
  '# Tokenizer report',
  '',
  "Written by `npx saetrace tokenizer report --pair <pair>`; each pair's section is regenerated in place.",
  'The tokenizer has no normalizer: decode(encode(text)) returns the text exactly (a literal `<s>`, `</s>`, `<pad>` or `<unk>` in text',
  'is read as that special token). Pre-tokens: Japanese split into kanji / hiragana / katakana runs, Hangul runs, other letters into words',
  'with their leading space, digits one by one, punctuation runs, whitespace runs. Every character seen at least `--min-char-freq` times (default 2) in',
  'training, and every kana and printable ASCII character, is a token; rarer characters are spelled as UTF-8 byte tokens (`<0xXX>`).',
  '',
].join('\n');

/** Replaces (or appends) the section of one pair in an existing report, keeping the others. */
export function upsertReportSection(existing: string | null, pair: string, section: string): string {
  const begin = `<!-- pair:${pair} -->`,
    end = `<!-- /pair:${pair} -->`;
  const block = `${begin}\n${section.trimEnd()}\n${end}\n`;
  const base = existing ?? `${HEADER}\n`;
  const i = base.indexOf(begin),
    k = base.indexOf(end);
  if (i >= 0 && k > i) return base.slice(0, i) + block + base.slice(k + end.length + 1);
  return `${base.trimEnd()}\n\n${block}`;
}
