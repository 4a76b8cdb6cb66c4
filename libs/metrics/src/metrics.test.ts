import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterTokens, entropy, monosemanticity, semanticEntropy } from './entropy.ts';
import { rowOf } from './counts.ts';
import { describeFeature } from './describe.ts';
import { binomialShareAbove, classLabel, featureStats, summarise } from './features.ts';
import { collectOccurrences, featureMaxima } from './passes.ts';
import type { FeatureEncoder, TokenBatch } from './types.ts';

/** An encoder whose codes are written in the rows themselves: x = [f0, v0, f1, v1] (k = 2, n = 4). */
const enc: FeatureEncoder = {
  n: 4,
  k: 2,
  d: 4,
  async encode(x, rows) {
    const values = new Float32Array(rows * 2);
    const indices = new Int32Array(rows * 2);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < 2; j++) {
        indices[r * 2 + j] = x[r * 4 + 2 * j]!;
        values[r * 2 + j] = x[r * 4 + 2 * j + 1]!;
      }
    return { rows, k: 2, values, indices };
  },
};

type Row = [doc: number, pos: number, lang: number, token: number, f0: number, v0: number, f1: number, v1: number];
function batches(rows: Row[], size = 3) {
  return async function* (): AsyncGenerator<TokenBatch> {
    for (let s = 0; s < rows.length; s += size) {
      const part = rows.slice(s, s + size);
      yield {
        rows: part.length,
        x: Float32Array.from(part.flatMap((r) => [r[4], r[5], r[6], r[7]])),
        tokenIds: Int32Array.from(part.map((r) => r[3])),
        docIds: Int32Array.from(part.map((r) => r[0])),
        positions: Int32Array.from(part.map((r) => r[1])),
        langs: Uint8Array.from(part.map((r) => r[2])),
      };
    }
  };
}

// Feature 0 fires on English token 10 at doc 0 positions 62, 63 and doc 1 position 0 (a run cut by the boundary);
// feature 1 fires on tokens 20/21 (en) and 30/31 (ja); feature 2 stays below 0.7 x max except once; feature 3 never fires.
const rows: Row[] = [
  [0, 61, 0, 5, 2, 1.0, 1, 0.0],
  [0, 62, 0, 10, 0, 1.0, 1, 0.9],
  [0, 63, 0, 10, 0, 0.9, 2, 0.5],
  [1, 0, 0, 10, 0, 0.8, 1, 1.0],
  [1, 1, 0, 21, 1, 0.95, 2, 0.2],
  [2, 0, 1, 30, 1, 0.9, 0, 0.1],
  [2, 1, 1, 31, 1, 0.8, 2, 0.3],
];

test('entropy, semantic clusters and monosemanticity by hand', () => {
  assert.ok(Math.abs(entropy([1, 1, 2]) - (2 * 0.25 * Math.log(4) + 0.5 * Math.log(2))) < 1e-12);
  assert.ok(Math.abs(entropy([5, 5, 5, 5]) - Math.log(4)) < 1e-12, 'uniform over 4 tokens: log 4');
  assert.is(entropy([7]), 0);
  assert.is(entropy([]), 0);
  assert.is(monosemanticity(0, 0), 0);
  assert.is(monosemanticity(2, 0.5), 0.75);
  // tokens 0,1 point one way, 2,3 another, orthogonal: two clusters of mass 3 and 1.
  const emb = Float32Array.from([1, 0, 1, 0.02, 0, 1, 0, 1]);
  const toks = [
    { id: 0, count: 2 },
    { id: 1, count: 1 },
    { id: 2, count: 1 },
  ];
  assert.equal(clusterTokens(toks, emb, 2), [0, 0, 1]);
  assert.ok(Math.abs(semanticEntropy(toks, emb, 2) - entropy([3, 1])) < 1e-12);
  assert.equal(clusterTokens([...toks, { id: 3, count: 5 }], emb, 2, 0.1, 'components'), [1, 1, 0, 0]);
  // Greedy compares with the founder only; components chain through neighbours.
  const chain = Float32Array.from([1, 0, Math.cos(1), Math.sin(1), Math.cos(2), Math.sin(2)]);
  const three = [
    { id: 0, count: 3 },
    { id: 1, count: 2 },
    { id: 2, count: 1 },
  ];
  assert.equal(clusterTokens(three, chain, 2, 0.1, 'greedy'), [0, 0, 1]);
  assert.equal(clusterTokens(three, chain, 2, 0.1, 'components'), [0, 0, 0]);
});

test('two passes: maxima, activating occurrences above 0.7 x max, languages, runs cut at document boundaries', async () => {
  const max = await featureMaxima(enc, batches(rows));
  assert.equal(
    Array.from(max).map((v) => Math.round(v * 100) / 100),
    [1, 1, 1, 0],
  );
  const occ = await collectOccurrences(enc, batches(rows), max, { numLangs: 2 });
  assert.is(occ.tokens, 7);
  assert.equal(rowOf(occ.tokenCounts, 0), [{ id: 10, count: 3 }]);
  assert.is(occ.runs[0], 2, 'the run across the document boundary is two spans');
  assert.is(occ.runLength[0], 3);
  // Feature 1: English at (0,62) token 10, (1,0) token 10, (1,1) token 21; Japanese at (2,0) token 30, (2,1) token 31.
  assert.equal(Array.from(occ.langCounts.subarray(2, 4)), [3, 2]);
  assert.is(occ.total[2], 1);
  assert.is(occ.total[3], 0);
  const emb = Float32Array.from({ length: 40 * 2 }, (_, i) =>
    i % 2 === 0 ? (Math.floor(i / 2) < 25 ? 1 : 0) : Math.floor(i / 2) < 25 ? 0 : 1,
  );
  const stats = featureStats(occ, { embeddings: emb, embeddingDim: 2 });
  assert.is(stats[0]!.cls, 'first');
  assert.is(stats[0]!.tokenEntropy, 0);
  assert.is(stats[0]!.monosemanticity, 0);
  assert.is(stats[0]!.meanSpan, 1.5);
  assert.is(stats[1]!.cls, 'mixed');
  assert.equal(stats[1]!.pLang, [0.6, 0.4]);
  const te = -(0.4 * Math.log(0.4) + 3 * 0.2 * Math.log(0.2));
  const se = -(0.6 * Math.log(0.6) + 0.4 * Math.log(0.4));
  assert.ok(Math.abs(stats[1]!.tokenEntropy - te) < 1e-12);
  assert.ok(Math.abs(stats[1]!.semanticEntropy - se) < 1e-12, 'two clusters: ids 10, 21 and ids 30, 31');
  assert.ok(Math.abs(stats[1]!.monosemanticity - (1 - se / te)) < 1e-12);
  assert.is(stats[1]!.clusters, 2);
  assert.equal(
    stats[0]!.examples.map((e) => [e.doc, e.position]),
    [
      [0, 62],
      [0, 63],
      [1, 0],
    ],
  );
  // Contexts gathered across batch boundaries (batches of 3 rows), never across documents.
  assert.equal(
    stats[0]!.examples.map((e) => [e.context, e.offset]),
    [
      [[5, 10, 10], 1],
      [[5, 10, 10], 2],
      [[10, 21], 0],
    ],
  );
  assert.equal(stats[1]!.topTokens[0], { id: 10, p: 0.4 });
  assert.is(stats[3]!.cls, 'dead');
  const s = summarise(stats, ['en', 'ja']);
  assert.equal(s.languages, ['en', 'ja']);
  assert.is(summarise(stats).languages, undefined);
  assert.is(s.dead, 1);
  // Alive: feature 0 (English), feature 1 (mixed), feature 2 (one English occurrence: English).
  assert.equal(s.shares, { first: 2 / 3, second: 0, mixed: 1 / 3 });
  assert.is(s.mixedProportion, 1 / 3);
  // Feature 1's runs: (0,62); (1,0)-(1,1); (2,0)-(2,1) -> 5/3. Feature 2: one occurrence -> 1.
  assert.ok(Math.abs(s.meanSpanLength - (1.5 + 5 / 3 + 1) / 3) < 1e-12);
  assert.is(s.alive, 3);
  assert.ok(Math.abs(s.shares.first + s.shares.second + s.shares.mixed - 1) < 1e-12);
  // The null keeps each alive feature's occurrence count and draws languages at the pooled English share q.
  const aliveStats = stats.filter((x) => x.cls !== 'dead');
  const q =
    aliveStats.reduce((a, x) => a + x.occurrences * (x.pLang[0] as number), 0) /
    aliveStats.reduce((a, x) => a + x.occurrences, 0);
  const first = aliveStats.reduce((a, x) => a + binomialShareAbove(x.occurrences, q, 0.9), 0) / aliveStats.length;
  assert.ok(Math.abs(s.nullShares.first - first) < 1e-12);
  assert.ok(Math.abs(s.nullShares.first + s.nullShares.second + s.nullShares.mixed - 1) < 1e-12);
  assert.is(s.medianOccurrences, [...aliveStats.map((x) => x.occurrences)].sort((a, b) => a - b)[1]);
  await collectOccurrences(enc, batches([[0, 0, 5, 1, 0, 1, 1, 1]]), max, { numLangs: 2 }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /language index 5 of 2/),
  );
});

test('contexts stop at a gap in positions and at the context width; bad input is named', async () => {
  const gap: Row[] = [
    [0, 0, 0, 1, 0, 1, 1, 0],
    [0, 1, 0, 2, 0, 0, 1, 0],
    [0, 2, 0, 3, 0, 1, 1, 0],
    [0, 3, 0, 4, 1, 0, 2, 0],
    [0, 7, 0, 5, 0, 1, 1, 0],
    [0, 8, 0, 6, 1, 0, 2, 0],
  ];
  const max = await featureMaxima(enc, batches(gap, 2));
  const occ = await collectOccurrences(enc, batches(gap, 2), max, { numLangs: 1, context: 1 });
  // Feature 0 fires at positions 0, 2 and 7: runs 1 + 1 + 1 (position 1 has activation 0, 7 follows a gap).
  assert.is(occ.runs[0], 3);
  assert.equal(
    occ.examples[0]!.map((e) => [e.context, e.offset]),
    [
      [[1, 2], 0],
      [[2, 3, 4], 1],
      [[5, 6], 0],
    ],
  );
  const none = await collectOccurrences(enc, batches(gap, 2), max, { numLangs: 1, context: 0, examples: 1 });
  assert.equal(
    none.examples[0]!.map((e) => [e.context, e.offset]),
    [[[1], 0]],
  );
  const reject = async (p: Promise<unknown>, re: RegExp) =>
    p.then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, re),
    );
  await reject(collectOccurrences(enc, batches(gap), new Float32Array(3), { numLangs: 1 }), /3 maxima for 4 features/);
  await reject(collectOccurrences(enc, batches(gap), max, { numLangs: 0 }), /numLangs must be an integer/);
  await reject(collectOccurrences(enc, batches(gap), max, { numLangs: 1, ratio: 1 }), /ratio must be in \[0, 1\)/);
  await reject(
    collectOccurrences(enc, batches(gap), max, { numLangs: 1, examples: -1 }),
    /examples must be a non-negative integer/,
  );
  await reject(
    collectOccurrences(enc, batches(gap), max, { numLangs: 1, context: 1.5 }),
    /context must be a non-negative integer/,
  );
  const bad = (patch: Partial<TokenBatch>) =>
    async function* (): AsyncGenerator<TokenBatch> {
      yield {
        rows: 1,
        x: new Float32Array(4),
        tokenIds: new Int32Array(1),
        docIds: new Int32Array(1),
        positions: new Int32Array(1),
        langs: new Uint8Array(1),
      };
      yield {
        rows: 1,
        x: new Float32Array(4),
        tokenIds: new Int32Array(1),
        docIds: new Int32Array(1),
        positions: new Int32Array(1),
        langs: new Uint8Array(1),
        ...patch,
      };
    };
  await reject(
    featureMaxima(enc, bad({ x: new Float32Array(3) })),
    /batch starting at row 1: x has 3 values, expected rows x d = 1 x 4/,
  );
  await reject(featureMaxima(enc, bad({ rows: -1 })), /rows must be a non-negative integer/);
  await reject(
    collectOccurrences(enc, bad({ positions: new Int32Array(2) }), max, { numLangs: 1 }),
    /positions has 2 entries for 1 rows/,
  );
});

test('feature statistics reject embeddings that do not fit; descriptions decode tokens and mark the activating one', async () => {
  const max = await featureMaxima(enc, batches(rows));
  const occ = await collectOccurrences(enc, batches(rows), max, { numLangs: 2 });
  assert.throws(
    () => featureStats(occ, { embeddings: new Float32Array(7), embeddingDim: 2 }),
    /7 values do not split into rows of embeddingDim 2/,
  );
  assert.throws(
    () => featureStats(occ, { embeddings: new Float32Array(40), embeddingDim: 2 }),
    /feature 1 has token id 21, outside the embedding matrix's 20 rows/,
  );
  assert.throws(
    () => featureStats(occ, { embeddings: new Float32Array(80), embeddingDim: 2, cut: 0.3 }),
    /cut must be in \[0.5, 1\]/,
  );
  // Connected components on the same two-cluster embedding give the same two clusters.
  const emb = Float32Array.from({ length: 40 * 2 }, (_, i) =>
    i % 2 === 0 ? (Math.floor(i / 2) < 25 ? 1 : 0) : Math.floor(i / 2) < 25 ? 0 : 1,
  );
  const stats = featureStats(occ, { embeddings: emb, embeddingDim: 2, clusterRule: 'components', cut: 0.55 });
  assert.is(stats[1]!.clusters, 2);
  assert.is(stats[1]!.cls, 'first', 'p(en|f) = 0.6 > cut 0.55');
  const decode = (ids: readonly number[]) => ids.map((i) => `<${i}>`).join('');
  const d = describeFeature(stats[0]!, decode, { languages: ['en', 'ja'], examples: 2 });
  assert.is(d.label, 'en');
  assert.equal(d.topTokens, [{ id: 10, p: 1, text: '<10>' }]);
  assert.equal(
    d.examples.map((e) => e.text),
    ['<5>[[<10>]]<10>', '<5><10>[[<10>]]'],
  );
  assert.equal(
    describeFeature(stats[1]!, decode, { topTokens: 1, mark: ['{', '}'] }).examples[0]!.text,
    '<5>{<10>}<10>',
  );
  assert.is(describeFeature(stats[3]!, decode).label, 'dead');
  assert.equal(
    [classLabel('second', ['en', 'ja']), classLabel('second'), classLabel('first'), classLabel('mixed', ['en', 'ja'])],
    ['ja', 'second', 'first', 'mixed'],
  );
});

test('binomialShareAbove: exact tails for small n, stable for large n, a strict cut', () => {
  const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n, k - 1) * (n - k + 1)) / k);
  const direct = (n: number, q: number, cut: number) => {
    let s = 0;
    for (let k = 0; k <= n; k++) if (k / n > cut) s += choose(n, k) * q ** k * (1 - q) ** (n - k);
    return s;
  };
  for (const [n, q] of [
    [1, 0.5],
    [3, 0.4],
    [10, 0.7],
    [20, 0.9],
    [37, 0.55],
  ] as const) {
    assert.ok(Math.abs(binomialShareAbove(n, q, 0.9) - direct(n, q, 0.9)) < 1e-12, `${n} ${q}`);
  }
  // 18 of 20 is 0.9, not above the cut: only 19 and 20 count.
  assert.ok(Math.abs(binomialShareAbove(20, 0.5, 0.9) - 21 / 2 ** 20) < 1e-15);
  // One occurrence is monolingual for sure: P(first) = q.
  assert.ok(Math.abs(binomialShareAbove(1, 0.3, 0.9) - 0.3) < 1e-15);
  const big = binomialShareAbove(100000, 0.95, 0.9);
  assert.ok(big > 0.999999 && big <= 1);
  assert.is(binomialShareAbove(100000, 0.5, 0.9), 0);
  assert.throws(() => binomialShareAbove(0, 0.5, 0.9), /n must be a positive integer/);
});

test('summarise with a minimum of occurrences leaves rare features out of the shares and counts them', () => {
  const f = (feature: number, occurrences: number, pEn: number, cls: 'first' | 'second' | 'mixed' | 'dead') => ({
    feature,
    occurrences,
    pLang: [pEn, 1 - pEn],
    cls,
    tokenEntropy: 0,
    semanticEntropy: 0,
    monosemanticity: 1,
    meanSpan: 1,
    topTokens: [],
    clusters: 1,
    examples: [],
  });
  const stats = [f(0, 50, 0.95, 'first'), f(1, 2, 0.5, 'mixed'), f(2, 30, 0.5, 'mixed'), f(3, 0, 0, 'dead')];
  const all = summarise(stats);
  assert.equal([all.alive, all.rare, all.counted, all.shares.mixed], [3, 0, 3, 2 / 3]);
  const some = summarise(stats, [], 0.9, 20);
  assert.equal(
    [some.alive, some.rare, some.counted, some.dead, some.shares.mixed, some.shares.first],
    [3, 1, 2, 1, 0.5, 0.5],
  );
  assert.is(some.medianOccurrences, 30);
  assert.throws(() => summarise(stats, [], 0.9, 0), /minOccurrences must be a positive integer/);
});

test('cross-script Mixed needs 1 - cut of the occurrences on each script, not only both document languages', () => {
  const f = (feature: number, scriptShares: readonly [number, number]) => ({
    feature,
    occurrences: 40,
    pLang: [0.5, 0.5],
    cls: 'mixed' as const,
    tokenEntropy: 0,
    semanticEntropy: 0,
    monosemanticity: 1,
    meanSpan: 1,
    topTokens: [],
    clusters: 1,
    examples: [],
    scriptShares,
  });
  // A digit feature (no script) and a feature mostly on Latin tokens are Mixed by documents, not by script.
  const s = summarise([f(0, [0.5, 0.5]), f(1, [0, 0]), f(2, [0.95, 0.05]), f(3, [0.1, 0.1])]);
  assert.is(s.shares.mixed, 1);
  assert.is(s.crossScriptMixed, 0.5);
  assert.ok(Number.isNaN(summarise([{ ...f(0, [0.5, 0.5]), scriptShares: undefined }]).crossScriptMixed));
});

test.run();
