import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonRecordAsync, writeFileAtomic, writeJsonAtomic } from '@saetrace/engine';
import {
  loadTokenizer,
  measureTokenizer,
  pairDocuments,
  pairLanguages,
  renderPairReport,
  saveTokenizer,
  trainTokenizerDetailed,
  upsertReportSection,
  type TrainingRecord,
} from '@saetrace/lm';
import { defineCommand, defineGroup, intOption, requiredOption, UsageError, type Command } from '../command.ts';

export interface TokenizerDeps {
  log(line: string): void;
}

function pairOf(v: string | undefined): string {
  const pair = requiredOption('pair', v);
  try {
    pairLanguages(pair);
  } catch (err) {
    throw new UsageError(`--pair: ${(err as Error).message}`);
  }
  return pair;
}

/** --max-docs: documents read per language, all of them when absent. */
const maxDocsOf = (v: string | undefined) =>
  intOption('max-docs', v, 1, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER);

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The two subcommands over the given dependencies. */
function subcommands(deps: TokenizerDeps) {
  const train = defineCommand({
    name: 'train',
    summary: 'train a byte-fallback BPE tokenizer on the train split of both languages of a pair',
    usage: [
      'Usage: saetrace tokenizer train --pair en-ja [--vocab 8192] [--out data/tokenizer/<pair>] [--corpus data/corpus]',
      '                                [--min-char-freq 2] [--coverage 1] [--min-pair-freq 2] [--max-docs N]',
      '',
      'Byte-fallback BPE on the train split documents of both languages (<corpus>/<pair>/train.<lang>.jsonl.gz);',
      'writes tokenizer.json, tokenizer_config.json and training.json. Same corpus and options give the same bytes.',
      'Every character seen --min-char-freq times (and all kana and printable ASCII) gets a token; rarer ones are bytes.',
    ].join('\n'),
    options: {
      pair: { type: 'string' },
      vocab: { type: 'string' },
      out: { type: 'string' },
      corpus: { type: 'string', default: 'data/corpus' },
      coverage: { type: 'string' },
      'min-char-freq': { type: 'string' },
      'min-pair-freq': { type: 'string' },
      'max-docs': { type: 'string' },
    },
    async run({ values }) {
      const pair = pairOf(values.pair);
      const vocabSize = intOption('vocab', values.vocab, 261, Number.POSITIVE_INFINITY, 8192);
      const charCoverage = values.coverage === undefined ? 1 : Number(values.coverage);
      if (!(charCoverage > 0 && charCoverage <= 1))
        throw new UsageError(`--coverage must be a number in (0, 1], got '${values.coverage}'`);
      const minCharFrequency = intOption('min-char-freq', values['min-char-freq'], 1, Number.POSITIVE_INFINITY, 2);
      const minPairFrequency = intOption('min-pair-freq', values['min-pair-freq'], 1, Number.POSITIVE_INFINITY, 2);
      const maxDocs = maxDocsOf(values['max-docs']);
      const out = values.out ?? join('data/tokenizer', pair);
      const split = 'train';
      const inputs: Record<string, string> = {};
      for (const lang of pairLanguages(pair)) {
        const file = `${split}.${lang}.jsonl.gz`;
        try {
          inputs[file] = await sha256File(join(values.corpus, pair, file));
        } catch {
          throw new Error(`corpus file not found: ${join(values.corpus, pair, file)}`);
        }
      }
      const t0 = performance.now();
      const texts = (async function* () {
        for await (const d of pairDocuments(values.corpus, pair, split, maxDocs)) yield d.text;
      })();
      const options = { vocabSize, charCoverage, minCharFrequency, minPairFrequency };
      const { tokenizer, stats } = await trainTokenizerDetailed(texts, options);
      await saveTokenizer(out, tokenizer);
      const record: TrainingRecord = {
        pair,
        split,
        vocabSize,
        options: { ...options, maxDocsPerLang: values['max-docs'] === undefined ? -1 : maxDocs },
        stats,
        inputs,
      };
      await writeJsonAtomic(join(out, 'training.json'), record);
      const secs = (performance.now() - t0) / 1000;
      deps.log(
        `trained ${pair}: ${stats.vocabSize} tokens (${stats.keptCharacters} characters, ${stats.merges} merges) from ${stats.documents} documents, ` +
          `${stats.characters} characters, ${stats.distinctWords} distinct pre-tokens in ${secs.toFixed(1)} s`,
      );
      if (stats.vocabSize < vocabSize)
        deps.log(`warning: stopped at ${stats.vocabSize} tokens: no pair seen ${minPairFrequency}+ times remained`);
      deps.log(`wrote ${join(out, 'tokenizer.json')}, tokenizer_config.json, training.json`);
      return 0;
    },
  });

  const report = defineCommand({
    name: 'report',
    summary: "tokens per character and word, byte fallback and round trips on a split; rewrites the pair's section",
    usage: [
      'Usage: saetrace tokenizer report --pair en-ja [--tokenizer data/tokenizer/<pair>] [--corpus data/corpus] [--split eval]',
      '                                 [--max-docs N] [--report reports/tokenizer.md] [--json]',
      '',
      'Tokens per character and per word, byte-fallback rates and round-trip failures on a split; prints them',
      "(as JSON with --json) and rewrites the pair's section of the report file.",
    ].join('\n'),
    options: {
      pair: { type: 'string' },
      tokenizer: { type: 'string' },
      corpus: { type: 'string', default: 'data/corpus' },
      split: { type: 'string', default: 'eval' },
      'max-docs': { type: 'string' },
      report: { type: 'string', default: 'reports/tokenizer.md' },
      json: { type: 'boolean', default: false },
    },
    async run({ values }) {
      const pair = pairOf(values.pair);
      if (!/^[a-z]+$/.test(values.split))
        throw new UsageError(`--split must be a split name such as eval, got '${values.split}'`);
      const maxDocs = maxDocsOf(values['max-docs']);
      const dir = values.tokenizer ?? join('data/tokenizer', pair);
      const tok = await loadTokenizer(dir);
      // Absent: a tokenizer from elsewhere, nothing to check; damaged: an error naming it.
      const trainingPath = join(dir, 'training.json');
      const training = existsSync(trainingPath)
        ? await readJsonRecordAsync<TrainingRecord>(
            trainingPath,
            `restore it from git (git checkout -- ${trainingPath}) or train the tokenizer again`,
          )
        : null;
      // training.json records the sha256 of its inputs: a corpus regenerated since then makes the tokenizer stale.
      const stale: string[] = [];
      for (const [file, sha] of Object.entries(training?.inputs ?? {})) {
        const now = await sha256File(join(values.corpus, pair, file)).catch(() => 'missing');
        if (now !== sha) stale.push(file);
      }
      if (stale.length > 0) deps.log(`warning: ${stale.join(', ')} changed since ${dir} was trained`);
      const measures = await measureTokenizer(tok, pairDocuments(values.corpus, pair, values.split, maxDocs));
      const section = renderPairReport(pair, dir, values.split, measures, training, stale);
      let existing: string | null = null;
      try {
        existing = await readFile(values.report, 'utf8');
      } catch {
        existing = null;
      }
      await writeFileAtomic(values.report, upsertReportSection(existing, pair, section));
      deps.log(
        values.json
          ? JSON.stringify({ pair, tokenizer: dir, split: values.split, measures }, null, 2)
          : section.trimEnd(),
      );
      if (!values.json) deps.log(`wrote ${values.report}`);
      return 0;
    },
  });
  return [train, report];
}

export function makeTokenizerCommand(deps: TokenizerDeps): Command {
  return defineGroup({
    name: 'tokenizer',
    summary: 'train the byte-fallback BPE tokenizer of a language pair and report its token rates',
    subcommands: subcommands(deps),
  });
}

export const tokenizerCommand = makeTokenizerCommand({ log: (line) => console.log(line) });
