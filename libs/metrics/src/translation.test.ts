import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bleuFromStats, bleuStats, corpusBleu, sentenceBleu, tokenize13a } from './bleu.ts';
import { chrfFromStats, chrfStats, corpusChrf, sentenceChrf } from './chrf.ts';

// Expected values are sacreBLEU's published test values (test_chrf.py, test_bleu.py, test_sentence_bleu.py
// of sacreBLEU 2.x) or computed by hand below.
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) < tol, `${what}: got ${a}, expected ${b}`);

test('chrF matches sacreBLEU (beta 3, eps smoothing; effective order; whitespace kept)', () => {
  const eps: [string[], string[], number][] = [
    [['abcdefg'], ['hijklmnop'], 0],
    [['a'], ['b'], 0],
    [[''], ['b'], 0],
    [[''], ['ref'], 0],
    [['aa'], ['ab'], 8.3333],
    [['a', 'b'], ['a', 'c'], 8.3333],
    [['a'], ['a'], 16.6667],
    [['a b c'], ['a b c'], 50],
    [['a b c'], ['abc'], 50],
    [
      [
        ' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      ],
      [
        'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
      ],
      63.36173,
    ],
    [
      [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
      64.1302698,
    ],
    [['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100],
  ];
  for (const [h, r, e] of eps)
    close(
      corpusChrf(
        h,
        r.map((x) => [x]),
        { beta: 3, epsSmoothing: true },
      ),
      e,
      1e-4,
      `eps ${h[0]}`,
    );
  const eff: [string[], string[], number][] = [
    [['a'], ['a'], 100],
    [[''], ['reference'], 0],
    [['a b c'], ['a b c'], 100],
    [['a b c'], ['abc'], 100],
    [[''], ['c'], 0],
    [['a', 'b'], ['a', 'c'], 50],
    [['aa'], ['ab'], 25],
  ];
  for (const [h, r, e] of eff)
    close(
      corpusChrf(
        h,
        r.map((x) => [x]),
        { beta: 3 },
      ),
      e,
      1e-4,
      `effective ${h.join('|')}`,
    );
  close(
    corpusChrf(
      ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
      [['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.']],
      { beta: 3, removeWhitespace: false },
    ),
    67.3481606,
    1e-4,
    'keep whitespace 1',
  );
  close(
    corpusChrf(
      [
        'risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      ],
      [
        [
          'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
        ],
      ],
      { beta: 3, removeWhitespace: false },
    ),
    65.2414427,
    1e-4,
    'keep whitespace 2',
  );
  close(
    sentenceChrf(
      'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
      ['Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.'],
      { epsSmoothing: true },
    ),
    39.14078509,
    1e-4,
    'sentence 1',
  );
  close(
    sentenceChrf(
      'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
      ['A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.'],
      { epsSmoothing: true },
    ),
    31.22557079,
    1e-4,
    'sentence 2',
  );
  close(
    sentenceChrf(
      'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
      ['Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.'],
      { epsSmoothing: true },
    ),
    57.15704367,
    1e-4,
    'sentence 3',
  );
  assert.throws(() => corpusChrf(['a'], []), /1 hypotheses but 0 reference lists/);
  assert.throws(() => chrfFromStats([1, 2, 3]), /3 statistics for order 6/);
});

test('chrF by hand: effective-order averaging, eps averaging, short references, best reference', () => {
  // 'ab' vs 'abcd', beta 2: order 1 P = 1, R = 1/2; order 2 P = 1, R = 1/3; orders 3-6 have no hypothesis n-grams.
  // Default: mean P = 1, mean R = 5/12, F = 5 * 5/12 / (4 + 5/12) = 25/53.
  close(sentenceChrf('ab', ['abcd']), 2500 / 53, 1e-9, 'effective order');
  // Eps: mean of the six per-order F-scores, F1 = 5/9, F2 = 5/13, the rest 0 or eps.
  close(sentenceChrf('ab', ['abcd'], { epsSmoothing: true }), (100 * (5 / 9 + 5 / 13)) / 6, 1e-9, 'eps');
  // Corpus: 'abcd'|'ab' and 'xyz'|'xyzw'. The first reference has no trigram, so the first hypothesis's two
  // trigrams are not counted (sacreBLEU); totals per order [hyp, ref, match]: [7,6,5], [5,4,3], [1,2,1], [0,1,0].
  assert.equal(chrfStats('abcd', 'ab').slice(6, 9), [0, 0, 0]);
  const P = (5 / 7 + 3 / 5 + 1) / 3;
  const R = (5 / 6 + 3 / 4 + 1 / 2) / 3;
  close(corpusChrf(['abcd', 'xyz'], [['ab'], ['xyzw']]), (100 * 5 * P * R) / (4 * P + R), 1e-9, 'short reference');
  // Several references: the best-scoring one counts; whitespace is removed for character n-grams.
  close(sentenceChrf('a b c d', ['zzz', 'ab cd']), 100, 1e-9, 'best reference');
  close(corpusChrf(['ab'], [['abcd', 'zz']]), 2500 / 53, 1e-9, 'best reference in corpus');
  assert.is(chrfFromStats(new Array(18).fill(0)), 0, 'empty');
  // Code points, not UTF-16 units: one astral character is one unigram.
  assert.equal(chrfStats('𝒳', '𝒳').slice(0, 3), [1, 1, 1]);
});

const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const HYPS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
const perSentence = (streams: string[][]) => (streams[0] as string[]).map((_, i) => streams.map((s) => s[i] as string));

test('corpus BLEU matches sacreBLEU (defaults, tokenisers, smoothing, n-gram orders, statistics)', () => {
  const refs = perSentence(REFS);
  close(corpusBleu(HYPS, refs), 48.530827, 1e-6, 'default');
  close(corpusBleu(['', '', ''], refs), 0, 1e-12, 'empty hypotheses');
  close(corpusBleu(HYPS, refs, { tokenize: 'none' }), 49.1919566, 1e-6, 'tokenize none');
  close(corpusBleu(HYPS, refs, { smooth: 'none' }), 48.530827, 1e-6, 'smooth none');
  const byOrder: [number, string][] = [
    [1, '77.65'],
    [2, '60.50'],
    [3, '53.93'],
    [4, '48.53'],
    [5, '46.14'],
    [6, '43.28'],
  ];
  for (const [n, e] of byOrder) assert.is(corpusBleu(HYPS, refs, { maxOrder: n }).toFixed(2), e, `max order ${n}`);
  // raw_corpus_bleu: no tokeniser, floor smoothing, effective order.
  const raw = (h: string[], r: string[], smoothValue = 0.01) =>
    corpusBleu(
      h,
      r.map((x) => [x]),
      { tokenize: 'none', smooth: 'floor', smoothValue, effectiveOrder: true },
    ) / 100;
  close(raw(['this is a test', 'another test'], ['ref1', 'ref2']), 0, 1e-12, 'raw no match');
  close(raw(['this is a test'], ['this is a test']), 1, 1e-8, 'raw identical');
  close(raw(['this is a fest'], ['this is a test']), 0.223606797749979, 1e-8, 'raw fest');
  close(raw(['test'], ['a test']), 0.3678794411714425, 1e-8, 'effective order 1');
  close(raw(['a test'], ['a test']), 1, 1e-8, 'effective order 2');
  close(raw(['a little test'], ['a test']), 0.03218297948685433, 1e-8, 'effective order 3');
  close(raw(['am I am a character sequence'], ['I am a symbol string sequence a a'], 0), 0, 1e-12, 'offset 0');
  close(
    raw(['am I am a character sequence'], ['I am a symbol string sequence a a'], 0.1),
    0.1555722182,
    1e-8,
    'offset 0.1',
  );
  assert.equal(
    bleuStats('am I am a character sequence', ['I am a symbol string sequence a a'], { tokenize: 'none' }),
    [6, 8, 4, 2, 1, 0, 6, 5, 4, 3],
  );
  close(bleuFromStats([11, 11, 9, 7, 5, 3, 10, 8, 6, 4], { smooth: 'none' }) / 100, 0.8375922397, 1e-8, 'scoring');
  const degenerate: [number[], number][] = [
    [[1, 0, 0, 0, 0, 0, 4, 4, 2, 1], 0],
    [[14, 10, 0, 0, 0, 0, 10, 11, 12, 0], 0],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0],
    [[6, 6, 6, 5, 4, 0, 6, 5, 4, 3], 0],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.1],
    [[1, 5, 0, 0, 0, 0, 0, 0, 0, 0], 0.01],
  ];
  for (const [st, v] of degenerate)
    assert.is(bleuFromStats(st, { smooth: 'floor', smoothValue: v }), 0, `degenerate ${st.join(',')}`);
  assert.throws(() => corpusBleu(['a'], []), /1 hypotheses but 0 reference lists/);
  assert.throws(() => bleuFromStats([1, 2, 3]), /3 statistics for order 4/);
  assert.throws(() => corpusBleu(['a'], [['a']], { maxOrder: 0 }), /maxOrder must be a positive integer/);
});

test('sentence BLEU matches sacreBLEU for every smoothing and tokeniser', () => {
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
  const cases: [Parameters<typeof sentenceBleu>[2], number][] = [
    [{ smooth: 'exp' }, 8.493],
    [{ smooth: 'none' }, 0],
    [{ smooth: 'floor' }, 4.51688],
    [{ smooth: 'floor', smoothValue: 0.5 }, 10.1],
    [{ smooth: 'add-k' }, 14.882],
    [{ smooth: 'add-k', smoothValue: 2 }, 21.389],
    [{ tokenize: 'none' }, 7.347],
    [{ tokenize: 'char' }, 40.8759],
    [{ tokenize: 'char', lowercase: true }, 42.0267],
  ];
  for (const [o, e] of cases) close(sentenceBleu(SYS, [REF], o), e, 1e-3, JSON.stringify(o));
  for (const smooth of ['exp', 'none', 'floor', 'add-k'] as const)
    close(sentenceBleu('this is a cat', ['okay thanks'], { smooth }), 0, 1e-12, `zero ${smooth}`);
  close(corpusBleu(['the cat sat on the mat'], [['the cat sat on the mat']]), 100, 1e-9, 'identical');
  assert.is(tokenize13a('Hello, world. It costs 3.5 - 4 &amp; more!'), 'Hello , world . It costs 3.5 - 4 & more !');
  assert.is(tokenize13a('a&lt;b&gt;c &quot;q&quot; <skipped>x-\ny\nz 1-2'), 'a < b > c " q " xy z 1 - 2');
});

test('BLEU by hand: brevity penalty, exp smoothing, and the character tokeniser for Japanese', () => {
  // 'the cat' against 'the cat sat': p1 = p2 = 1, no trigram or 4-gram in the hypothesis. Corpus BLEU
  // (no effective order, exp smoothing) gives orders 3 and 4 no n-grams at all -> the loop stops, their
  // precision stays 0 -> 0. With effective order: BLEU = BP = exp(1 - 3/2).
  close(corpusBleu(['the cat'], [['the cat sat']]), 0, 1e-12, 'no trigrams');
  close(sentenceBleu('the cat', ['the cat sat']), 100 * Math.exp(1 - 3 / 2), 1e-9, 'brevity penalty');
  // 'a b c d' vs 'a b c e': p = 4/4... p1 = 3/4, p2 = 2/3, p3 = 1/2, p4: no match -> exp smoothing 1 / (2 * 1).
  close(
    sentenceBleu('a b c d', ['a b c e']),
    100 * Math.exp((Math.log(3 / 4) + Math.log(2 / 3) + Math.log(1 / 2) + Math.log(1 / 2)) / 4),
    1e-9,
    'exp smoothing',
  );
  // Japanese without a segmenter: 13a sees one token per sentence, the character tokeniser sees 6 characters.
  const hyp = '猫が座った';
  const ref = '猫が座っている';
  close(sentenceBleu(hyp, [ref]), 0, 1e-12, '13a: one unmatched word');
  const p = [4 / 5, 3 / 4, 2 / 3, 1 / 2];
  close(
    sentenceBleu(hyp, [ref], { tokenize: 'char' }),
    100 * Math.exp(1 - 7 / 5) * Math.exp(p.reduce((a, x) => a + Math.log(x), 0) / 4),
    1e-9,
    'char',
  );
});

test.run();
