import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILY_PROFILES } from '@saetrace/lm';
import { knownSpecs } from '../../../harness/src/run.ts';
import { formatIssue, knownExperiments, knownPairs, readPair } from '../../../harness/src/spec.ts';
import { defineCommand } from '../command.ts';

/** What one pair has: corpus, tokenizer, trained families, goldens and reports per profile. */
export function pairStatus(pair: string): Record<string, string> {
  const ids = knownExperiments();
  const count = (dir: string, suffix: string) =>
    existsSync(dir)
      ? readdirSync(dir).filter((f) => f.endsWith(suffix) && ids.includes(f.split('.')[0] as string)).length
      : 0;
  const family = (p: string) => existsSync(join('.cache/zoo', pair, p, 'family.json'));
  return {
    corpus: existsSync(join('data/corpus', pair, 'manifest.json')) ? 'yes' : 'no',
    tokenizer: existsSync(join('data/tokenizer', pair, 'tokenizer.json')) ? 'yes' : 'no',
    family: Object.keys(FAMILY_PROFILES).filter(family).join(', ') || 'none trained here',
    goldens: ['smoke', 'default', 'paper']
      .map((p) => `${p} ${count(join('golden', pair), `.${p}.json`)}/${ids.length}`)
      .join(', '),
    reports: ['smoke', 'default']
      .map((p) => `${p} ${count(join('reports', pair), `.${p}.results.json`)}/${ids.length}`)
      .join(', '),
  };
}

export const pairsCommand = defineCommand({
  name: 'pairs',
  summary: 'list the language pairs (experiments/pairs/*.yaml) and what each has, or every <pair>/<id> spec',
  usage: [
    'Usage: saetrace pairs [--specs]',
    '',
    'Without --specs: per pair, its languages, whether its corpus and tokenizer are committed, which families are',
    'trained in .cache/zoo, and how many goldens and results there are per profile. With --specs: every spec',
    'name <pair>/<id> (each pair with each experiments/<id>.yaml), one per line.',
  ].join('\n'),
  options: { specs: { type: 'boolean', default: false } },
  async run({ values }) {
    if (values.specs) {
      for (const s of knownSpecs()) console.log(s);
      return 0;
    }
    let bad = 0;
    for (const pair of knownPairs()) {
      const r = readPair(join('experiments/pairs', `${pair}.yaml`));
      if (!r.ok) {
        bad++;
        for (const i of r.issues) console.error(formatIssue(i));
        continue;
      }
      const st = pairStatus(pair);
      console.log(
        `${pair} (${r.spec.languages.join(', ')}): corpus ${st.corpus}, tokenizer ${st.tokenizer}, paper profile ${r.spec.paper ? 'yes' : 'no'}; family ${st.family}; goldens ${st.goldens}; results ${st.reports}`,
      );
    }
    return bad > 0 ? 1 : 0;
  },
});
