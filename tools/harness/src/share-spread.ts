/**
 * How much a feature-class share moves between two honest measurements of the same checkpoint: the spec's
 * analysis (activations sampled, SAE trained, features classified) repeated under several run seeds, with
 * the spread of each share set beside the binomial standard error sqrt(p(1-p)/alive) that the golden
 * tolerance `proportionOf` assumes. Evidence for that tolerance, not a test: it trains one SAE per seed.
 *
 * Usage: node --import tsx tools/harness/src/share-spread.ts <pair>/<id> <step> <seed,seed,...> [profile]
 */
import { LlamaModel } from '@saetrace/lm';
import { summarise } from '@saetrace/metrics';
import { largestMemberEmbeddings, resolveCheckpoints } from './family.ts';
import { analyseCheckpoint, layersOf } from './kinds/feature-dynamics.ts';
import { profileOf, readSpec, type ProfileName } from './spec.ts';

const [name, stepArg, seedsArg, profileArg] = process.argv.slice(2);
if (!name || !stepArg || !seedsArg) {
  console.error('usage: share-spread.ts <pair>/<id> <step> <seed,seed,...> [profile]');
  process.exit(2);
}
const parsed = readSpec(name);
if (!parsed.ok)
  throw new Error(parsed.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.path}: ${i.message}`).join('\n'));
const spec = parsed.spec;
const profile = (profileArg ?? 'default') as ProfileName;
const base = profileOf(spec, profile);
const step = Number(stepArg);
const seeds = seedsArg.split(',').map(Number);
const { checkpoints } = await resolveCheckpoints(base, spec.pair, { threads: base.threads });
const ck = checkpoints.find((c) => c.step === step);
if (!ck) throw new Error(`step ${step} is not a checkpoint (${checkpoints.map((c) => c.step).join(', ')})`);
const final = checkpoints.at(-1)!;
const model = await LlamaModel.load(final.dir, { threads: base.threads });
const { embeddings } = await largestMemberEmbeddings(
  base,
  spec.pair,
  { dir: final.dir, vocabRows: model.config.vocabSize },
  { threads: base.threads },
);
const layers = layersOf(base, model.numLayers);
await model.release();
const rows: { seed: number; layer: number; alive: number; shares: Record<string, number> }[] = [];
for (const seed of seeds) {
  const timings = { extract: 0, sae: 0, metrics: 0 };
  for (const a of await analyseCheckpoint(spec, { ...base, seed }, ck.dir, layers, embeddings, timings)) {
    const s = summarise(a.stats);
    rows.push({ seed, layer: a.layer, alive: s.alive, shares: { ...s.shares } });
    console.log(
      `seed ${seed} layer ${a.layer}: alive ${s.alive}, shares ${Object.entries(s.shares)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ')}`,
    );
  }
}
for (const layer of layers) {
  const rs = rows.filter((r) => r.layer === layer);
  for (const cls of ['first', 'second', 'mixed']) {
    const xs = rs.map((r) => r.shares[cls] as number);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    const alive = rs.reduce((a, r) => a + r.alive, 0) / rs.length;
    const binom = Math.sqrt((mean * (1 - mean)) / alive);
    console.log(
      `${spec.pair}/${spec.id} step ${step} layer ${layer} ${cls}: mean ${mean.toFixed(3)}, sd over ${xs.length} seeds ${sd.toFixed(4)}, binomial s.e. at ${alive.toFixed(0)} alive ${binom.toFixed(4)}, max-min ${(Math.max(...xs) - Math.min(...xs)).toFixed(3)}`,
    );
  }
}
