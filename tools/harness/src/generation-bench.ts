// Same-process micro-benchmark of the intervention's greedy decoding on the default family's largest size
// (random weights): one prompt at a time over full logits (how `translate` decoded before batching), one
// prompt at a time with the head at one position, and all prompts in one batch; plain and with Eq. 7's
// injection (full-model tap and SAE delta per step). Checks that every variant gives the same token ids.
// Usage: node --import tsx tools/harness/src/generation-bench.ts [--threads N] [--prompts N] [--tokens N]
import { injectionDelta, largestMemberSetup, windowInjectionDelta } from '@saetrace/intervention';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const threads = arg('threads', 2);
const count = arg('prompts', 8);
const maxNew = arg('tokens', 24);
const W = 128; // translate's window
const { config: c, mid, full, layer, d, sae, mask } = await largestMemberSetup(threads);
const alpha = 0.2;
// Prompt lengths spread like few-shot translation prompts (40..96 tokens), BOS first.
const prompts = Array.from({ length: count }, (_, p) => [1, ...Array.from({ length: 40 + ((p * 23) % 57) }, (_, i) => 3 + ((p * 7919 + i * 104729) % (c.vocabSize - 3)))]);

/** Greedy decoding as before batching: batch 1, full logits [W x V], the delta over every window row. */
async function sequentialFullLogits(prompt: readonly number[], inject: boolean): Promise<number[]> {
  const seq = [...prompt];
  const out: number[] = [];
  while (out.length < maxNew) {
    const ctx = seq.slice(-W);
    const tokens = Int32Array.from({ length: W }, (_, i) => ctx[i] ?? 0);
    let delta: Float32Array | null = null;
    if (inject) delta = await injectionDelta((await full.tap(tokens, 1, W, [layer])).get(layer) as Float32Array, W, sae, mask, alpha);
    const logits = await mid.logitsWithDelta(tokens, 1, W, layer, delta);
    const off = (ctx.length - 1) * c.vocabSize;
    let best = 0;
    for (let v = 1; v < c.vocabSize; v++) if ((logits[off + v] as number) > (logits[off + best] as number)) best = v;
    if (best === c.eosTokenId) break;
    out.push(best);
    seq.push(best);
  }
  return out;
}
const batchDelta = async (tokens: Int32Array, lengths: readonly number[], width: number) => {
  const h = (await full.tap(tokens, lengths.length, width, [layer])).get(layer) as Float32Array;
  return { layer, delta: await windowInjectionDelta(h, lengths.length, width, lengths, sae, mask, alpha) };
};
const oneDelta = async (tokens: Int32Array, len: number) => batchDelta(tokens, [len], tokens.length);

const variants: Record<string, (inject: boolean) => Promise<number[][]>> = {
  'sequential, full logits (before)': async (inject) => { const r: number[][] = []; for (const p of prompts) r.push(await sequentialFullLogits(p, inject)); return r; },
  'sequential generate, head at one position': async (inject) => { const r: number[][] = []; for (const p of prompts) r.push(await mid.generate(p, maxNew, { window: W, delta: inject ? oneDelta : undefined })); return r; },
  generateBatch: (inject) => mid.generateBatch(prompts, maxNew, { window: W, delta: inject ? batchDelta : undefined }),
};

console.log(`largest default size: d ${c.hiddenSize}, ${c.numLayers} blocks, ${c.numHeads}/${c.numKvHeads} heads, ffn ${c.intermediateSize}, V ${c.vocabSize}; ${count} prompts x ${maxNew} tokens, window ${W}, threads ${threads}`);
for (const inject of [false, true]) {
  // Warm-up: every graph (batch 1 and batch B share a session) is built before timing.
  for (const run of Object.values(variants)) { const keep = prompts.splice(2); await run(inject); prompts.push(...keep); }
  const times: Record<string, number> = {};
  let ref: string | null = null;
  for (const [name, run] of Object.entries(variants)) {
    const t0 = performance.now();
    const ids = await run(inject);
    times[name] = (performance.now() - t0) / 1000;
    const s = JSON.stringify(ids);
    if (ref === null) ref = s;
    else if (s !== ref) throw new Error(`${name}${inject ? ' with injection' : ''}: token ids differ from the sequential full-logits decoding`);
    console.log(`${inject ? 'injected' : 'plain   '}  ${name.padEnd(44)} ${(times[name] as number).toFixed(2).padStart(7)} s  (${ids.map((x) => x.length).join(',')} tokens)`);
  }
  const before = times['sequential, full logits (before)'] as number;
  console.log(`${inject ? 'injected' : 'plain   '}  speed-up: generate ${(before / (times['sequential generate, head at one position'] as number)).toFixed(2)}x, generateBatch ${(before / (times.generateBatch as number)).toFixed(2)}x; generateBatch vs sequential generate ${((times['sequential generate, head at one position'] as number) / (times.generateBatch as number)).toFixed(2)}x; ids identical`);
}
await mid.release(); await full.release(); await sae.release();
