import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { corpusBleu, sentenceBleu, tokenize13a } from './bleu.ts';
import { corpusChrf, sentenceChrf } from './chrf.ts';

// Expected values are sacreBLEU's published test values (its test suite), to the stated precision.
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) < tol, `${what}: got ${a}, expected ${b}`);

test('chrF matches sacreBLEU (beta 3, eps smoothing; effective order; whitespace kept)', () => {
  const eps: [string[], string[], number][] = [
    [['abcdefg'], ['hijklmnop'], 0], [['a'], ['b'], 0], [[''], ['b'], 0], [['aa'], ['ab'], 8.3333], [['a', 'b'], ['a', 'c'], 8.3333],
    [['a'], ['a'], 16.6667], [['a b c'], ['a b c'], 50], [['a b c'], ['abc'], 50],
    [[' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'], ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'], 63.36173],
    [[' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '], ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'], 64.1302698],
    [['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100],
  ];
  for (const [h, r, e] of eps) close(corpusChrf(h, r.map((x) => [x]), { beta: 3, epsSmoothing: true }), e, 1e-3, `eps ${h[0]}`);
  const eff: [string[], string[], number][] = [[['a'], ['a'], 100], [[''], ['reference'], 0], [['a b c'], ['abc'], 100], [['a', 'b'], ['a', 'c'], 50], [['aa'], ['ab'], 25]];
  for (const [h, r, e] of eff) close(corpusChrf(h, r.map((x) => [x]), { beta: 3 }), e, 1e-3, `effective ${h.join('|')}`);
  close(corpusChrf(['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'], [['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.']], { beta: 3, removeWhitespace: false }), 67.3481606, 1e-3, 'keep whitespace');
  close(sentenceChrf('Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.', ['Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.'], { epsSmoothing: true }), 39.14078509, 1e-3, 'sentence 1');
  close(sentenceChrf('Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.', ['Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.'], { epsSmoothing: true }), 57.15704367, 1e-3, 'sentence 3');
  assert.throws(() => corpusChrf(['a'], []), /1 hypotheses but 0 reference lists/);
});

test('BLEU matches sacreBLEU sentence scores for every smoothing and tokeniser', () => {
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
  const cases: [Parameters<typeof sentenceBleu>[2], number][] = [
    [{ smooth: 'exp' }, 8.493], [{ smooth: 'none' }, 0], [{ smooth: 'floor' }, 4.51688], [{ smooth: 'floor', smoothValue: 0.5 }, 10.1],
    [{ smooth: 'add-k' }, 14.882], [{ smooth: 'add-k', smoothValue: 2 }, 21.389], [{ tokenize: 'none' }, 7.347],
    [{ tokenize: 'char' }, 40.8759], [{ tokenize: 'char', lowercase: true }, 42.0267],
  ];
  for (const [o, e] of cases) close(sentenceBleu(SYS, [REF], o), e, 1e-3, JSON.stringify(o));
  close(sentenceBleu('this is a cat', ['okay thanks']), 0, 1e-9, 'zero');
  close(corpusBleu(['the cat sat on the mat'], [['the cat sat on the mat']]), 100, 1e-9, 'identical');
  assert.is(tokenize13a('Hello, world. It costs 3.5 - 4 &amp; more!'), 'Hello , world . It costs 3.5 - 4 & more !');
  assert.throws(() => corpusBleu(['a'], []), /1 hypotheses but 0 reference lists/);
});

test.run();
