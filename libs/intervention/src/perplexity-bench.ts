// Same-process micro-benchmark of perplexity() on the default family's largest size (random weights):
// the old way (full logits [8 x 64 x V] back to JS, rowNll per position: perplexityFromLogits) against the
// in-graph NLL (nllWithDelta), plain and with Eq. 7's injection (full-model tap and SAE delta per batch,
// the same work in both). Checks that both ways agree within 1e-6 relative; prints the median of --reps.
// Part 'codes': 10 interventions (3 alphas, 50-150 features) tapping and encoding the full model per
// intervention, against encodeWindows once (timed) and decoding per intervention; results must be identical.
// Usage: node --import tsx libs/intervention/src/perplexity-bench.ts [--threads N] [--windows N] [--reps N] [--part nll|codes|all]
import { pathToFileURL } from 'node:url';
import { largestMemberSetup } from './bench-setup.ts';
import { encodeWindows, perplexity, type EvalWindows, type Injection, type PerplexityResult } from './perplexity.ts';
import { perplexityFromLogits } from './testing.ts';

async function main(): Promise<void> {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const threads = arg('threads', 2);
  const count = arg('windows', 24);
  const reps = arg('reps', 3);
  const T = 64; // the intervention's evaluation windows
  const { config: c, mid, full, layer, n, sae, mask } = await largestMemberSetup(threads);
  const injection: Injection = { full, sae, layer, mask, alpha: 0.2 };
  // BOS, then ids spread over the vocabulary; languages alternate.
  const windows: EvalWindows = {
    tokens: Int32Array.from({ length: count * T }, (_, i) => (i % T === 0 ? 1 : 3 + ((i * 104729 + 7919) % (c.vocabSize - 3)))),
    count, seqLen: T, langs: Uint8Array.from({ length: count }, (_, w) => w % 2),
  };

  const ways: Record<string, (inj: Injection | null) => Promise<PerplexityResult>> = {
    'full logits + JS rowNll (before)': (inj) => perplexityFromLogits(mid, windows, 2, inj),
    'in-graph NLL (nllWithDelta)': (inj) => perplexity(mid, windows, 2, inj),
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

  const partIndex = process.argv.indexOf('--part');
  const part = partIndex >= 0 ? process.argv[partIndex + 1] : 'all';
  if (part !== 'nll' && part !== 'codes' && part !== 'all') throw new RangeError(`--part must be nll, codes or all, got ${part}`);

  console.log(`largest default size: d ${c.hiddenSize}, ${c.numLayers} blocks, ${c.numHeads}/${c.numKvHeads} heads, ffn ${c.intermediateSize}, V ${c.vocabSize}; ${count} windows x ${T} tokens, batch 8, threads ${threads}, median of ${reps}`);
  for (const inj of part === 'codes' ? [] : [null, injection]) {
    const label = inj ? 'injected' : 'plain   ';
    const times: Record<string, number> = {};
    const results: PerplexityResult[] = [];
    // Warm-up builds every session; then the ways alternate so background load hits both alike.
    for (const run of Object.values(ways)) await run(inj);
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
    for (let r = 0; r < reps; r++) {
      for (const [name, run] of Object.entries(ways)) {
        const t0 = performance.now();
        const res = await run(inj);
        (samples[name] as number[]).push((performance.now() - t0) / 1000);
        if (r === 0) results.push(res);
      }
    }
    for (const [name, xs] of Object.entries(samples)) {
      times[name] = median(xs);
      console.log(`${label}  ${name.padEnd(34)} ${(times[name] as number).toFixed(3).padStart(7)} s  (${xs.map((x) => x.toFixed(3)).join(', ')})`);
    }
    const [a, b] = results as [PerplexityResult, PerplexityResult];
    const worst = Math.max(rel(b.overall, a.overall), ...a.perLang.map((p, i) => rel(b.perLang[i] as number, p)));
    if (!(worst < 1e-6)) throw new Error(`${label.trim()}: the in-graph NLL perplexity differs from the full-logits one by ${worst} relative`);
    const [before, after] = Object.values(times) as [number, number];
    console.log(`${label}  speed-up ${(before / after).toFixed(2)}x; perplexity ${b.overall.toFixed(3)} (en ${b.perLang[0]?.toFixed(3)}, ja ${b.perLang[1]?.toFixed(3)}), max rel diff ${worst.toExponential(2)}`);
  }
  if (part !== 'nll') {
    const interventions: Injection[] = Array.from({ length: 10 }, (_, i) => ({
      full, sae, layer, alpha: [0.05, 0.1, 0.2][i % 3] as number,
      mask: new Set(Array.from({ length: 50 + 50 * (i % 3) }, (_, j) => (j * 11 + i * 97) % n)),
    }));
    const codeWays: Record<string, () => Promise<PerplexityResult[]>> = {
      'tap + encode per intervention (before)': async () => {
        const out: PerplexityResult[] = [];
        for (const inj of interventions) out.push(await perplexity(mid, windows, 2, inj));
        return out;
      },
      'encodeWindows once + decode each': async () => {
        const codes = await encodeWindows(full, sae, layer, windows);
        const out: PerplexityResult[] = [];
        for (const inj of interventions) out.push(await perplexity(mid, windows, 2, inj, 8, codes));
        return out;
      },
    };
    for (const run of Object.values(codeWays)) await run();
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(codeWays).map((k) => [k, []]));
    const results: PerplexityResult[][] = [];
    for (let r = 0; r < reps; r++) {
      for (const [name, run] of Object.entries(codeWays)) {
        const t0 = performance.now();
        const res = await run();
        (samples[name] as number[]).push((performance.now() - t0) / 1000);
        if (r === 0) results.push(res);
      }
    }
    const times = Object.entries(samples).map(([name, xs]) => {
      console.log(`10 interventions  ${name.padEnd(40)} ${median(xs).toFixed(3).padStart(7)} s  (${xs.map((x) => x.toFixed(3)).join(', ')})`);
      return median(xs);
    });
    const [a, b] = results as [PerplexityResult[], PerplexityResult[]];
    for (const [i, x] of a.entries()) {
      const y = b[i] as PerplexityResult;
      if (!Object.is(x.overall, y.overall) || x.perLang.some((p, l) => !Object.is(p, y.perLang[l]))) throw new Error(`intervention ${i}: cached codes give ${JSON.stringify(y)}, per-intervention encoding ${JSON.stringify(x)}`);
    }
    console.log(`10 interventions  speed-up ${((times[0] as number) / (times[1] as number)).toFixed(2)}x; all 10 perplexities identical (e.g. ${a[0]?.overall})`);
  }
  await mid.release(); await full.release(); await sae.release();
}

// uvu loads every file of the folder; the benchmark runs only as a script.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
