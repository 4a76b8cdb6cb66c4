import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeInjector } from './decode-injector.ts';
import { decodeDelta, encodeRows, injectionDelta, windowInjectionDelta } from './delta.ts';
import { drawMasks, type FeatureClass } from './masks.ts';
import {
  encodeWindows,
  nll,
  perplexity,
  type EvalWindows,
  type Injection,
  type PerplexityResult,
} from './perplexity.ts';
import { meanStd } from './summary.ts';
import { baselineRow, interventionRows, languageName } from './table.ts';
import { runRng } from '@saetrace/engine';
import { initLlamaWeights, LlamaModel } from '@saetrace/lm';
import { perplexityFromLogits, TINY_LLAMA, ToyModel, ToySae } from './testing.ts';

const V = 12,
  D = 6,
  L = 4,
  T = 5;
const windows: EvalWindows = {
  tokens: Int32Array.from({ length: 6 * T }, (_, i) => (i % T === 0 ? 1 : 2 + ((i * 7) % (V - 2)))),
  count: 6,
  seqLen: T,
  langs: Uint8Array.from([0, 1, 0, 1, 0, 1]),
};

test('delta is alpha * masked decode of the normalised vector, scaled back by |h|; b_dec only when asked', async () => {
  const sae = new ToySae(D, 10, 3, 's');
  const h = Float32Array.from({ length: 2 * D }, (_, i) => (i % 5) - 1.5);
  const codes = await sae.encode(
    (() => {
      const x = Float32Array.from(h);
      for (let r = 0; r < 2; r++) {
        let s = 0;
        for (let i = 0; i < D; i++) s += x[r * D + i]! ** 2;
        for (let i = 0; i < D; i++) x[r * D + i]! /= Math.sqrt(s);
      }
      return x;
    })(),
    2,
  );
  const mask = new Set([codes.indices[0]!]);
  const delta = await injectionDelta(h, 2, sae, mask, 0.5);
  let n0 = 0;
  for (let i = 0; i < D; i++) n0 += h[i]! ** 2;
  n0 = Math.sqrt(n0);
  const w = sae.decoderRow(codes.indices[0]!);
  for (let i = 0; i < D; i++) assert.ok(Math.abs(delta[i]! - 0.5 * n0 * codes.values[0]! * w[i]!) < 1e-5);
  const withBias = await injectionDelta(h, 2, sae, new Set(), 1, { includeBias: true, rescale: false });
  for (let i = 0; i < D; i++) assert.ok(Math.abs(withBias[i]! - sae.bDec[i]!) < 1e-7);
  assert.ok((await injectionDelta(h, 2, sae, mask, 0)).every((x) => x === 0));
  assert.ok((await injectionDelta(h, 2, sae, new Set(), 0.3)).every((x) => x === 0));
  await injectionDelta(h, 3, sae, mask, 1).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /expected rows\*d = 18/),
  );
});

test('unitDecode: each row adds alpha * |h| along its masked decode, whatever the decode norm; zeros stay zeros', async () => {
  const sae = new ToySae(D, 10, 3, 'u');
  const h = Float32Array.from({ length: 3 * D }, (_, i) => ((i * 7) % 5) - 2);
  const all = new Set(Array.from({ length: 10 }, (_, j) => j));
  const plain = await injectionDelta(h, 3, sae, all, 0.5);
  const unit = await injectionDelta(h, 3, sae, all, 0.5, { includeBias: false, rescale: true, unitDecode: true });
  for (let r = 0; r < 3; r++) {
    const row = (x: Float32Array) => x.subarray(r * D, (r + 1) * D);
    const norm = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0));
    const want = 0.5 * norm(row(h));
    assert.ok(Math.abs(norm(row(unit)) - want) < 1e-4 * want, `row ${r}: |delta| ${norm(row(unit))} vs ${want}`);
    // Same direction as Eq. 7's delta.
    const dot = row(unit).reduce((a, v, i) => a + v * (row(plain)[i] as number), 0);
    assert.ok(Math.abs(dot / (norm(row(unit)) * norm(row(plain))) - 1) < 1e-5);
  }
  const none = await injectionDelta(h, 3, sae, new Set([99]), 0.5, {
    includeBias: false,
    rescale: true,
    unitDecode: true,
  });
  assert.ok(
    none.every((x) => x === 0),
    'a mask with no active feature adds nothing',
  );
});

test('maskBeforeTopK: each row decodes the k strongest masked features, not the masked ones of its top k', async () => {
  const sae = new ToySae(D, 10, 2, 'm');
  const rows = 4;
  const h = Float32Array.from({ length: rows * D }, (_, i) => Math.sin(i * 1.7) + 0.2);
  const x = Float32Array.from(h);
  const norms: number[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += x[r * D + i]! ** 2;
    norms.push(Math.sqrt(s));
    for (let i = 0; i < D; i++) x[r * D + i]! /= Math.sqrt(s);
  }
  const full = await sae.encode(x, rows);
  // The mask leaves out every row's first choice, so after TopK only second choices can survive.
  const mask = new Set(
    Array.from({ length: 10 }, (_, j) => j).filter((j) => ![...full.indices].filter((_, i) => i % 2 === 0).includes(j)),
  );
  const before = await injectionDelta(h, rows, sae, mask, 1, {
    includeBias: false,
    rescale: true,
    maskBeforeTopK: true,
  });
  const after = await injectionDelta(h, rows, sae, mask, 1);
  const among = await sae.encodeAmong(x, rows, mask);
  for (let r = 0; r < rows; r++) {
    const want = new Float64Array(D);
    for (let t = 0; t < 2; t++) {
      const f = among.indices[r * 2 + t]!;
      const z = among.values[r * 2 + t]!;
      assert.ok(mask.has(f) || z === 0);
      for (let i = 0; i < D; i++) want[i]! += z * sae.decoderRow(f)[i]!;
    }
    for (let i = 0; i < D; i++)
      assert.ok(Math.abs(before[r * D + i]! - norms[r]! * want[i]!) < 1e-5, `row ${r} dim ${i}`);
  }
  const l2 = (v: Float32Array) => Math.hypot(...v);
  assert.ok(l2(before) > l2(after), `before ${l2(before)} after ${l2(after)}`);
  // perplexity ignores mask-independent codes when masking comes before TopK (they were made after it).
  const model = new ToyModel(V, D, L, 'pp');
  const codes = await encodeWindows(model, sae, 2, windows);
  const inj: Injection = {
    full: model,
    sae,
    layer: 2,
    mask,
    alpha: 0.5,
    variant: { includeBias: false, rescale: true, maskBeforeTopK: true },
  };
  const withCodes = await perplexity(model, windows, 2, inj, 8, codes);
  const without = await perplexity(model, windows, 2, inj, 8, null);
  assert.equal(withCodes, without);
  const afterPpl = await perplexity(
    model,
    windows,
    2,
    { ...inj, variant: { includeBias: false, rescale: true } },
    8,
    codes,
  );
  assert.not.equal(afterPpl.overall, without.overall);
});

test('decodeInjector: the prompt window gets the window delta of the tap, each step the delta of the new rows', async () => {
  const sae = new ToySae(D, 10, 3, 's');
  const B = 3,
    S = 4;
  const hWindow = Float32Array.from({ length: B * S * D }, (_, i) => Math.sin(i * 0.7) + 0.2);
  const hStep = Float32Array.from({ length: 2 * D }, (_, i) => Math.cos(i * 0.3) - 0.1);
  const calls: string[] = [];
  const tapper = {
    prefill: async (_t: Int32Array, lengths: readonly number[], width: number) => {
      calls.push(`prefill ${lengths.join(',')} ${width}`);
      return hWindow;
    },
    step: async (t: Int32Array, rows: readonly number[]) => {
      calls.push(`step ${Array.from(t).join(',')} rows ${rows.join(',')}`);
      return hStep;
    },
  };
  const mask = new Set([0, 2, 3, 5, 7, 9]);
  const inj = decodeInjector(tapper, { full: new ToyModel(V, D, L, 'f'), sae, layer: 2, mask, alpha: 0.3 });
  assert.is(inj.layer, 2);
  const lengths = [2, 4, 1];
  assert.equal(
    await inj.prefill(new Int32Array(B * S), lengths, S),
    await windowInjectionDelta(hWindow, B, S, lengths, sae, mask, 0.3),
  );
  assert.equal(await inj.step(Int32Array.of(5, 6), [0, 2]), await injectionDelta(hStep, 2, sae, mask, 0.3));
  assert.equal(calls, ['prefill 2,4,1 4', 'step 5,6 rows 0,2']);
});

test('window delta: each real position gets the delta of its row encoded alone, pads get zeros', async () => {
  const sae = new ToySae(D, 10, 3, 's');
  const B = 3,
    S = 4;
  const h = Float32Array.from({ length: B * S * D }, (_, i) => Math.sin(i * 0.7) + 0.2);
  const lengths = [2, 4, 1];
  const mask = new Set([0, 2, 3, 5, 7, 9]);
  const delta = await windowInjectionDelta(h, B, S, lengths, sae, mask, 0.3);
  assert.is(delta.length, B * S * D);
  for (let b = 0; b < B; b++) {
    const len = lengths[b]!;
    const alone = await injectionDelta(h.slice(b * S * D, (b * S + len) * D), len, sae, mask, 0.3);
    assert.equal(Array.from(delta.subarray(b * S * D, (b * S + len) * D)), Array.from(alone), `row ${b}`);
    assert.ok(
      delta.subarray((b * S + len) * D, (b + 1) * S * D).every((x) => x === 0),
      `pads of row ${b}`,
    );
  }
  assert.ok(delta.some((x) => x !== 0));
  const rejects = async (p: Promise<unknown>, re: RegExp) =>
    p.then(
      () => assert.unreachable(),
      (e: Error) => {
        assert.instance(e, RangeError);
        assert.match(e.message, re);
      },
    );
  await rejects(windowInjectionDelta(h, B, S, [2, 4], sae, mask, 0.3), /lengths has 2 entries for batch 3/);
  await rejects(
    windowInjectionDelta(h.subarray(1), B, S, lengths, sae, mask, 0.3),
    /hFull has 71 values, expected batch\*seqLen\*d = 72/,
  );
  await rejects(windowInjectionDelta(h, B, S, [2, 5, 1], sae, mask, 0.3), /lengths\[1\] = 5 is not in \[0, 4\]/);
});

test('masks: n features of one class, five seeded draws, stable and distinct', () => {
  const classes: FeatureClass[] = Array.from(
    { length: 40 },
    (_, i) => (['first', 'second', 'mixed', 'dead'] as const)[i % 4]!,
  );
  const a = drawMasks(classes, 'mixed', 4, 5, 7);
  assert.is(a.length, 5);
  for (const m of a) {
    assert.is(m.features.length, 4);
    assert.ok(m.features.every((f) => classes[f] === 'mixed'));
    assert.is(m.available, 10);
  }
  assert.equal(drawMasks(classes, 'mixed', 4, 5, 7), a);
  assert.ok(new Set(a.map((m) => m.features.join(','))).size > 1);
  assert.equal(
    drawMasks(classes, 'first', 4, 6, 7)
      .slice(0, 5)
      .map((m) => m.features),
    drawMasks(classes, 'first', 4, 5, 7).map((m) => m.features),
  );
  assert.is(drawMasks(classes, 'first', 99, 1, 7)[0]!.features.length, 10);
  assert.throws(() => drawMasks(classes, 'first', -1, 1, 7), /count must be/);
  assert.throws(() => drawMasks(classes, 'first', 1, 0, 7), /draws must be/);
});

test('nll is log-sum-exp minus the target logit', () => {
  const l = Float32Array.from([0, Math.log(3), 0]);
  assert.ok(Math.abs(nll(l, 0, 3, 1) - Math.log(5 / 3)) < 1e-6);
});

test('alpha = 0 and an empty mask reproduce the baseline exactly; an injection changes it', async () => {
  const mid = new ToyModel(V, D, L, 'mid');
  const full = new ToyModel(V, D, L, 'full');
  const sae = new ToySae(D, 16, 4, 's');
  const base = await perplexity(mid, windows, 2, null, 4);
  const zero = await perplexity(mid, windows, 2, { full, sae, layer: 2, mask: new Set([0, 1, 2, 3]), alpha: 0 }, 4);
  const empty = await perplexity(mid, windows, 2, { full, sae, layer: 2, mask: new Set(), alpha: 0.1 }, 4);
  assert.equal(zero, base);
  assert.equal(empty, base);
  const all = new Set(Array.from({ length: 16 }, (_, i) => i));
  const inj = await perplexity(mid, windows, 2, { full, sae, layer: 2, mask: all, alpha: 0.5 }, 4);
  assert.not.equal(inj.overall, base.overall);
  assert.equal(base.tokens, [12, 12]);
  // Token-weighted overall lies between the languages.
  assert.ok(base.overall >= Math.min(...base.perLang) - 1e-9 && base.overall <= Math.max(...base.perLang) + 1e-9);
  await perplexity(mid, { ...windows, count: 7 }, 2, null).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /30 tokens for 7 windows/),
  );
  await perplexity(mid, windows, 2, { full, sae, layer: 9, mask: all, alpha: 1 }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /layer 9 is not a site of the model \(0\.\.4\)/),
  );
  await perplexity(mid, windows, 1, null).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /language index 1 of 1/),
  );
});

/** A mid and a full toy model, a 16-latent toy SAE and classes cycling first, second, mixed. */
function toySetting() {
  const classes: FeatureClass[] = Array.from({ length: 16 }, (_, i) => (['first', 'second', 'mixed'] as const)[i % 3]!);
  return {
    mid: new ToyModel(V, D, L, 'mid'),
    full: new ToyModel(V, D, L, 'full'),
    sae: new ToySae(D, 16, 4, 's'),
    classes,
  };
}

test('intervention rows: baseline plus one row per class, mean and spread over draws, translation hook called', async () => {
  const { mid, full, sae, classes } = toySetting();
  let hookCalls = 0;
  const rows = await interventionRows(
    {
      mid,
      full,
      sae,
      layer: 1,
      classes,
      languages: ['en', 'ja'],
      windows,
      seed: 3,
      translate: async (inj) => {
        hookCalls++;
        return { chrF: inj ? 40 + inj.mask.size : 40 };
      },
    },
    0.2,
    3,
    5,
  );
  assert.equal(
    rows.map((r) => r.added),
    ['none', 'English', 'Japanese', 'Bilingual'],
  );
  assert.is(hookCalls, 1 + 3 * 5);
  assert.is(rows[0]!.perplexity.all!.n, 1);
  assert.is(rows[3]!.perplexity.en!.n, 5);
  assert.is(rows[1]!.translation.chrF!.mean, 43);
  assert.is(rows[1]!.features, 3);
  assert.ok(rows[1]!.perplexity.all!.std >= 0);
  assert.is(languageName('ko'), 'Korean');
  assert.is(languageName('xx'), 'xx');
  assert.equal(meanStd([1, 3]), { mean: 2, std: Math.SQRT2, n: 2 });
  assert.ok(Number.isNaN(meanStd([]).mean));
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
/** The largest relative difference over the per-language and overall perplexities (token counts must agree). */
function perplexityRel(got: PerplexityResult, want: PerplexityResult, what: string): number {
  assert.equal(got.tokens, want.tokens, `${what}: tokens`);
  assert.is(got.perLang.length, want.perLang.length);
  return Math.max(rel(got.overall, want.overall), ...want.perLang.map((p, i) => rel(got.perLang[i]!, p)));
}

test('perplexity from in-graph NLL matches the full-logits way on a tiny Llama, baseline and injected, any batch', async () => {
  const c = TINY_LLAMA;
  const mid = new LlamaModel(c, initLlamaWeights(c, runRng('ppl-mid'), 0.5), null, 'mid', { threads: 1 });
  const full = new LlamaModel(c, initLlamaWeights(c, runRng('ppl-full'), 0.5), null, 'full', { threads: 1 });
  const sae = new ToySae(c.hiddenSize, 24, 4, 'ppl-sae');
  const S = 10,
    count = 7;
  const w: EvalWindows = {
    tokens: Int32Array.from({ length: count * S }, (_, i) =>
      i % S === 0 ? 1 : 2 + ((i * 17 + (i >> 3)) % (c.vocabSize - 2)),
    ),
    count,
    seqLen: S,
    langs: Uint8Array.from([0, 1, 1, 0, 1, 0, 0]),
  };
  const mask = new Set([0, 3, 5, 8, 11, 13, 17, 20]);
  const injections: [string, Injection | null][] = [
    ['baseline', null],
    ['layer 1, alpha 0.5', { full, sae, layer: 1, mask, alpha: 0.5 }],
    [
      'layer 2, bias, no rescale',
      { full, sae, layer: 2, mask, alpha: 2, variant: { includeBias: true, rescale: false } },
    ],
  ];
  let base: PerplexityResult | null = null;
  for (const [what, inj] of injections) {
    for (const batch of [3, 8]) {
      const want = await perplexityFromLogits(mid, w, 2, inj, batch);
      const got = await perplexity(mid, w, 2, inj, batch);
      const r = perplexityRel(got, want, `${what}, batch ${batch}`);
      assert.ok(r < 1e-6, `${what}, batch ${batch}: ${JSON.stringify(got)} vs ${JSON.stringify(want)} (rel ${r})`);
      assert.equal(got.tokens, [4 * (S - 1), 3 * (S - 1)]);
      if (!inj) base = got;
      else assert.ok(rel(got.overall, base!.overall) > 1e-4, `${what} changed nothing`);
    }
  }
  // The comparison has teeth: a different mid model is far outside the tolerance.
  const other = new LlamaModel(c, initLlamaWeights(c, runRng('ppl-other'), 0.5), null, 'other', { threads: 1 });
  const far = await perplexity(other, w, 2, null);
  assert.ok(perplexityRel(far, base!, 'other model') > 1e-2);
  // One-token windows have no targets: NaN perplexity and no forward, as before.
  const bosOnly = await perplexity(
    mid,
    { tokens: Int32Array.from([1, 1]), count: 2, seqLen: 1, langs: Uint8Array.from([0, 1]) },
    2,
    null,
  );
  assert.equal(bosOnly.tokens, [0, 0]);
  assert.ok(Number.isNaN(bosOnly.overall));
  for (const m of [mid, full, other]) await m.release();
});

test('nllWithDelta of the toy model is rowNll of its logits and rejects bad input by argument; perplexity checks the count', async () => {
  const mid = new ToyModel(V, D, L, 'mid');
  const toks = windows.tokens.subarray(0, 2 * T);
  const out = await mid.nllWithDelta(toks, 2, T, 1, null);
  const logits = await mid.logitsWithDelta(toks, 2, T, 1, null);
  assert.is(out.length, 2 * (T - 1));
  assert.ok(Math.abs(out[T]! - nll(logits, (T + 1) * V, V, toks[T + 2]!)) < 1e-5);
  const rejects = async (p: Promise<unknown>, re: RegExp) =>
    p.then(
      () => assert.unreachable(),
      (e: Error) => {
        assert.instance(e, RangeError);
        assert.match(e.message, re);
      },
    );
  await rejects(mid.nllWithDelta(toks, 3, T, 1, null), /tokens has 10 ids, expected batch\*seqLen = 15/);
  await rejects(mid.nllWithDelta(toks, 2, T, 1, new Float32Array(4)), /delta has 4 values/);
  await rejects(mid.nllWithDelta(toks, 2, T, L + 1, null), /layer 5 is not a site in \[0, 4\]/);
  await rejects(mid.nllWithDelta(toks, 10, 1, 0, null), /seqLen must be an integer >= 2/);
  // A model that returns the wrong number of NLLs is caught, not silently mis-summed.
  const short: ToyModel = Object.assign(Object.create(mid) as ToyModel, {
    nllWithDelta: async () => new Float32Array(3),
  });
  await perplexity(short, windows, 2, null).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /returned 3 NLLs for 6 windows of 5 \(expected 24\)/),
  );
});

test('injectionDelta is decodeDelta(encodeRows): same bits for any mask, alpha and variant, one encode for all', async () => {
  const sae = new ToySae(D, 16, 4, 's');
  const rows = 7;
  const h = Float32Array.from({ length: rows * D }, (_, i) => Math.cos(i * 1.3) * (1 + (i % 3)));
  h.fill(0, 2 * D, 3 * D); // a zero row: norm 0, codes of the zero vector
  const enc = await encodeRows(h, rows, sae);
  assert.is(enc.rows, rows);
  assert.is(enc.norms[2], 0);
  const masks = [
    new Set([0, 1, 2, 3, 4, 5, 6, 7]),
    new Set([3, 9, 15]),
    new Set<number>(),
    new Set(Array.from({ length: 16 }, (_, i) => i)),
  ];
  for (const mask of masks)
    for (const alpha of [0, 0.05, -0.7, 2])
      for (const variant of [undefined, { includeBias: true, rescale: false }, { includeBias: true, rescale: true }]) {
        const want = await injectionDelta(h, rows, sae, mask, alpha, variant);
        const got = decodeDelta(enc, sae, mask, alpha, variant);
        assert.equal(
          Array.from(got),
          Array.from(want),
          `mask ${[...mask]}, alpha ${alpha}, ${JSON.stringify(variant)}`,
        );
      }
  assert.ok(decodeDelta(enc, sae, masks[0]!, 0.5).some((x) => x !== 0));
  await encodeRows(h.subarray(1), rows, sae).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, RangeError);
      assert.match(e.message, /encodeRows: hFull has 41 values, expected rows\*d = 42/);
    },
  );
  assert.throws(
    () => decodeDelta({ ...enc, rows: 6 }, sae, masks[0]!, 1),
    (e: Error) => e instanceof RangeError && /decodeDelta: enc has 7 norms for 6 rows/.test(e.message),
  );
});

test('perplexity with codes from encodeWindows gives the same numbers as without, on a tiny Llama, and taps the full model once', async () => {
  const c = TINY_LLAMA;
  const mid = new LlamaModel(c, initLlamaWeights(c, runRng('cache-mid'), 0.5), null, 'mid', { threads: 1 });
  const full = new LlamaModel(c, initLlamaWeights(c, runRng('cache-full'), 0.5), null, 'full', { threads: 1 });
  const sae = new ToySae(c.hiddenSize, 24, 4, 'cache-sae');
  const S = 9,
    count = 7;
  const w: EvalWindows = {
    tokens: Int32Array.from({ length: count * S }, (_, i) =>
      i % S === 0 ? 1 : 2 + ((i * 13 + (i >> 2)) % (c.vocabSize - 2)),
    ),
    count,
    seqLen: S,
    langs: Uint8Array.from([0, 1, 1, 0, 1, 0, 0]),
  };
  let taps = 0;
  const counted = Object.assign(Object.create(full) as LlamaModel, {
    tap: (...a: Parameters<LlamaModel['tap']>) => {
      taps++;
      return full.tap(...a);
    },
  });
  const layer = 1;
  for (const batch of [3, 8]) {
    const codes = await encodeWindows(counted, sae, layer, w, batch);
    assert.is(codes.batches.length, Math.ceil(count / batch));
    const tapsAfterEncode = taps;
    const base = await perplexity(mid, w, 2, null, batch);
    let changed = 0;
    for (const mask of [
      new Set([0, 3, 5, 8, 11, 13, 17, 20]),
      new Set([1, 2]),
      new Set(Array.from({ length: 24 }, (_, i) => i)),
      new Set<number>(),
    ]) {
      for (const alpha of [0, 0.05, 0.5, 2])
        for (const variant of [undefined, { includeBias: true, rescale: false }]) {
          const inj: Injection = { full: counted, sae, layer, mask, alpha, variant };
          const want = await perplexity(mid, w, 2, inj, batch);
          const before = taps;
          const got = await perplexity(mid, w, 2, inj, batch, codes);
          assert.is(taps, before, 'no tap with codes');
          const what = `batch ${batch}, mask ${[...mask]}, alpha ${alpha}, ${JSON.stringify(variant)}`;
          assert.is(got.overall, want.overall, what);
          assert.is(got.perLang[0], want.perLang[0], what);
          assert.is(got.perLang[1], want.perLang[1], what);
          assert.equal(got.tokens, want.tokens);
          if (got.overall !== base.overall) changed++;
        }
    }
    assert.ok(changed > 10, `only ${changed} injections changed the perplexity`);
    assert.ok(taps > tapsAfterEncode, 'the uncached way taps');
  }
  for (const m of [mid, full]) await m.release();
});

test('codes encoded for other windows, batch size, layer, SAE or full model are rejected with a RangeError naming codes', async () => {
  const mid = new ToyModel(V, D, L, 'mid');
  const full = new ToyModel(V, D, L, 'full');
  const sae = new ToySae(D, 16, 4, 's');
  const mask = new Set([0, 1, 2, 3, 4, 5]);
  const inj: Injection = { full, sae, layer: 2, mask, alpha: 0.5 };
  const codes = await encodeWindows(full, sae, 2, windows, 4);
  assert.is(full.calls, 2);
  const ok = await perplexity(mid, windows, 2, inj, 4, codes);
  assert.is(full.calls, 2);
  assert.is(ok.overall, (await perplexity(mid, windows, 2, inj, 4)).overall);
  const rejects = async (p: Promise<unknown>, re: RegExp) =>
    p.then(
      () => assert.unreachable(),
      (e: Error) => {
        assert.instance(e, RangeError);
        assert.match(e.message, re);
      },
    );
  await rejects(perplexity(mid, windows, 2, inj, 8, codes), /perplexity: codes were encoded for batch 4, not batch 8/);
  await rejects(
    perplexity(mid, windows, 2, inj, 4, { ...codes, batches: codes.batches.slice(0, 1) }),
    /perplexity: codes have no batch 1/,
  );
  const fewer: EvalWindows = {
    tokens: windows.tokens.subarray(0, 4 * T),
    count: 4,
    seqLen: T,
    langs: windows.langs.subarray(0, 4),
  };
  await rejects(
    perplexity(mid, fewer, 2, inj, 4, codes),
    /perplexity: codes were encoded for 6 windows of 5, not 4 of 5/,
  );
  const other: EvalWindows = { ...windows, tokens: windows.tokens.map((t, i) => (i === 7 ? (t === 2 ? 3 : 2) : t)) };
  assert.not.equal(Array.from(other.tokens), Array.from(windows.tokens));
  await rejects(
    perplexity(mid, other, 2, inj, 4, codes),
    /perplexity: codes were encoded for windows with other tokens/,
  );
  await rejects(
    perplexity(mid, windows, 2, { ...inj, layer: 1 }, 4, codes),
    /perplexity: codes were encoded for layer 2, not injection.layer 1/,
  );
  await rejects(
    perplexity(mid, windows, 2, { ...inj, sae: new ToySae(D, 16, 4, 't') }, 4, codes),
    /perplexity: codes were encoded for another SAE than injection.sae/,
  );
  await rejects(
    perplexity(mid, windows, 2, { ...inj, full: new ToyModel(V, D, L, 'full') }, 4, codes),
    /perplexity: codes were encoded for another full model than injection.full/,
  );
  // Mutating the windows after encoding is caught too: the codes keep their own copy of the tokens.
  const mutable: EvalWindows = { ...windows, tokens: windows.tokens.slice() };
  const mine = await encodeWindows(full, sae, 2, mutable, 4);
  mutable.tokens[3] = mutable.tokens[3] === 2 ? 3 : 2;
  await rejects(perplexity(mid, mutable, 2, inj, 4, mine), /windows with other tokens/);
  await rejects(encodeWindows(full, sae, 5, windows), /encodeWindows: layer 5 is not a site of the model \(0\.\.4\)/);
  await rejects(encodeWindows(full, sae, 2, windows, 0), /encodeWindows: batch must be a positive integer, got 0/);
  await rejects(encodeWindows(full, sae, 2, { ...windows, count: 5 }), /encodeWindows: 30 tokens for 5 windows of 5/);
});

test('interventionRows: the same rows with shared codes as with its own, and one tap pass for all draws', async () => {
  const { mid, full, sae, classes } = toySetting();
  const setting = { mid, full, sae, layer: 1, classes, languages: ['en', 'ja'] as const, windows, seed: 3 };
  const own = await interventionRows(setting, 0.2, 3, 4);
  assert.is(full.calls, 1, 'one batch of 8 over 6 windows: one tap for 12 interventions');
  const codes = await encodeWindows(full, sae, 1, windows);
  const callsBefore = full.calls;
  for (const alpha of [0.2, 0.1]) {
    const shared = await interventionRows({ ...setting, codes }, alpha, 3, 4);
    assert.is(full.calls, callsBefore);
    if (alpha === 0.2) assert.equal(shared, own);
    else assert.not.equal(shared[1]!.perplexity.all!.mean, own[1]!.perplexity.all!.mean);
  }
  const before = full.calls;
  await interventionRows(setting, 0, 3, 2);
  assert.is(full.calls, before, 'alpha 0 adds nothing and encodes nothing');
  await interventionRows({ ...setting, layer: 2, codes }, 0.2, 3, 1).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, RangeError);
      assert.match(e.message, /codes were encoded for layer 1, not injection.layer 2/);
    },
  );
});

test('interventionRows: a baseline row computed once gives the same rows and runs the mid model once less', async () => {
  const { mid, full, sae, classes } = toySetting();
  let scored = 0;
  const setting = {
    mid,
    full,
    sae,
    layer: 1,
    classes,
    languages: ['en', 'ja'] as const,
    windows,
    seed: 3,
    translate: async () => {
      scored++;
      return { chrF: scored };
    },
  };
  const own = await interventionRows(setting, 0.2, 3, 2);
  scored = 0;
  const baseline = await baselineRow(setting);
  assert.equal(baseline, own[0]);
  const midCalls = mid.calls;
  const shared = await interventionRows({ ...setting, baseline }, 0.2, 3, 2);
  assert.equal(
    shared.map((r) => r.perplexity),
    own.map((r) => r.perplexity),
  );
  assert.is(shared[0], baseline);
  // 3 classes x 2 draws, no baseline: one windows pass each (6 windows, batch 8).
  assert.is(mid.calls - midCalls, 6);
  await interventionRows({ ...setting, baseline: own[1]! }, 0.2, 3, 2).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, RangeError);
      assert.match(e.message, /baseline must be the 'none' row, got 'English'/);
    },
  );
});

test.run();
