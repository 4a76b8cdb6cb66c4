import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ActivationStore } from '@saetrace/activations';
import { allSites, LlamaModel, midSite } from '@saetrace/lm';
import {
  collectOccurrences,
  featureMaxima,
  featureStats,
  resolveCosineCut,
  saveFeatureMetrics,
  summarise,
  tokenScriptShares,
  type FeatureStat,
  type TokenScriptShares,
  type SaeSummary,
  type TokenBatch,
} from '@saetrace/metrics';
import { noProgress, readJsonRecord, writeJsonAtomic, type Progress, type TensorData } from '@saetrace/engine';
import { evaluateSae, SaeEncoder, SAETRACE_VERSION, type SaeParams } from '@saetrace/sae';
import { checkpointSae, extractCheckpoint } from './checkpoint-stages.ts';
import {
  largestMemberEmbeddings,
  randomInitCheckpoint,
  resolveCheckpoints,
  type ResolvedCheckpoint,
} from '../family.ts';
import type { CheckpointChoice, ExperimentSpec, ProfileSpec } from '../spec.ts';

export interface DynamicsPoint {
  readonly step: number;
  readonly tokens: number;
  readonly layer: number;
  readonly summary: SaeSummary;
  readonly fvu: number;
  readonly l0: number;
  /**
   * A few example features: the two most frequent of each class, then (as the paper's Figure 7 picks them) the two
   * most polysemantic and the two of longest spans among features seen at least EXAMPLE_MIN_OCCURRENCES times.
   */
  readonly examples: readonly DynamicsExample[];
}

export interface DynamicsExample {
  readonly feature: number;
  readonly cls: string;
  /** Why it was picked: 'frequent', 'polysemantic' or 'long spans'. */
  readonly why: string;
  /** Its most frequent tokens (decoded) and their p(t | f). */
  readonly tokens: readonly string[];
  readonly p: readonly number[];
  readonly occurrences: number;
  readonly monosemanticity: number;
  readonly meanSpan: number;
  readonly contexts: readonly string[];
}

/** Features seen fewer times are not picked as polysemantic or long-span examples (their numbers are noise). */
const EXAMPLE_MIN_OCCURRENCES = 20;

export interface DynamicsResult {
  readonly size: string;
  readonly layers: readonly number[];
  readonly points: readonly DynamicsPoint[];
  /** The same measurements of the member at step 0, random init, per layer (profile randomInit). */
  readonly randomInit?: readonly DynamicsPoint[];
  /**
   * How each language's evaluation tokens are written (shares in either language's script or neither, BOS left
   * out), at the last checkpoint; absent without a tokenizer to decode the script table with.
   */
  readonly evalTokenScripts?: Readonly<Record<string, TokenScriptShares>>;
  /** Seconds per stage, for the report's timing table. */
  readonly timings: { readonly extract: number; readonly sae: number; readonly metrics: number };
}

export function layersOf(p: ProfileSpec, numLayers: number): number[] {
  const out = new Set<number>();
  for (const l of p.layers) {
    // Sites as the authors number them (libs/lm/src/llama/sites.ts): 0..L, mid = floor(L/2).
    if (l === 'mid') out.add(midSite(numLayers));
    else if (l === 'all') for (const s of allSites(numLayers)) out.add(s);
    else if (l > numLayers)
      throw new Error(`layer ${l} is not a site of a ${numLayers}-block model (sites 0..${numLayers})`);
    else out.add(l);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The checkpoints a profile asks for, in training order: all of them, or those whose step is listed. A
 * listed step the model lacks is an error naming it and the steps there are (a typo must not shrink a figure).
 */
export function selectCheckpoints<C extends { readonly step: number }>(
  all: readonly C[],
  wanted: CheckpointChoice,
  where: string,
  size: string,
): C[] {
  if (wanted === 'all') return [...all];
  if ('saved' in wanted) {
    const beyond = wanted.saved.filter((i) => i < 1 || i > all.length);
    if (beyond.length)
      throw new Error(
        `${where}: checkpoints names saved position${beyond.length > 1 ? 's' : ''} ${beyond.join(', ')}, but '${size}' saved ${all.length} checkpoint${all.length === 1 ? '' : 's'}`,
      );
    return all.filter((_, i) => wanted.saved.includes(i + 1));
  }
  const have = new Set(all.map((c) => c.step));
  const missing = wanted.filter((s) => !have.has(s));
  if (missing.length > 0)
    throw new Error(
      `${where}: checkpoints lists step${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which '${size}' does not have (it has ${[...have].join(', ')})`,
    );
  return all.filter((c) => wanted.includes(c.step));
}

/**
 * Figure 3/5/6/8/9/12-14: for each checkpoint and layer, an SAE trained on that checkpoint's activations and
 * its features classified and measured on held-out activations (../shared/SPEC.md sections 2-4). Every stage is cached
 * by content: activations by the activation store's key, SAEs by the store key plus the SAE recipe.
 */
export async function featureDynamics(
  spec: ExperimentSpec,
  p: ProfileSpec,
  options: { log: (s: string) => void; progress?: Progress },
): Promise<DynamicsResult> {
  const { size, checkpoints: all } = await resolveCheckpoints(p, spec.pair, {
    threads: p.threads,
    log: options.log,
    progress: options.progress,
  });
  const checkpoints = selectCheckpoints(all, p.checkpoints, `spec ${spec.id}`, size);
  const final = all.at(-1) as (typeof all)[number];
  const finalModel = await LlamaModel.load(final.dir, { threads: p.threads });
  const { embeddings } = await largestMemberEmbeddings(
    p,
    spec.pair,
    { dir: final.dir, vocabRows: finalModel.config.vocabSize },
    { threads: p.threads, log: options.log, progress: options.progress },
  );
  const tokenizer = finalModel.tokenizer;
  await finalModel.release();
  const layers = layersOf(p, finalModel.numLayers);
  const points: DynamicsPoint[] = [];
  const timings = { extract: 0, sae: 0, metrics: 0 };
  const decode = (ids: readonly number[]) => (tokenizer ? tokenizer.decode([...ids]) : ids.join(' '));
  let lastEval: CheckpointAnalysis | undefined;
  const measure = async (ck: ResolvedCheckpoint, into: DynamicsPoint[]) => {
    for (const a of await analyseCheckpoint(spec, p, ck.dir, layers, embeddings, timings, options.progress)) {
      if (ck.step !== 0) lastEval = a;
      const chosen = (['first', 'second', 'mixed'] as const).flatMap((cls) =>
        a.stats
          .filter((s) => s.cls === cls)
          .sort((x, y) => y.occurrences - x.occurrences || x.feature - y.feature)
          .slice(0, 2)
          .map((s) => ({ s, cls: s.cls as string, why: 'frequent' })),
      );
      const seen = a.stats.filter((s) => s.cls !== 'dead' && s.occurrences >= EXAMPLE_MIN_OCCURRENCES);
      const pick = (why: string, order: (x: FeatureStat, y: FeatureStat) => number) =>
        [...seen]
          .sort((x, y) => order(x, y) || x.feature - y.feature)
          .filter((s) => !chosen.some((c) => c.s.feature === s.feature))
          .slice(0, 2)
          .map((s) => ({ s, cls: s.cls as string, why }));
      // Polysemantic among features of several tokens: one token has M = 0 by definition (../shared/SPEC.md section 4).
      chosen.push(
        ...pick(
          'polysemantic',
          (x, y) =>
            (y.tokenEntropy > 0 ? 1 : 0) - (x.tokenEntropy > 0 ? 1 : 0) || x.monosemanticity - y.monosemanticity,
        ),
      );
      chosen.push(...pick('long spans', (x, y) => y.meanSpan - x.meanSpan));
      // Example contexts: a few tokens either side of each stored occurrence, the activating token in [[ ]].
      const docs = await documentTokens(
        a.evalStoreDir,
        new Set(chosen.flatMap((c) => c.s.examples.slice(0, 2).map((e) => e.doc))),
      );
      const examples: DynamicsExample[] = chosen.map(({ s, cls, why }) => ({
        feature: s.feature,
        cls,
        why,
        tokens: s.topTokens.slice(0, 5).map((t) => decode([t.id])),
        p: s.topTokens.slice(0, 5).map((t) => t.p),
        occurrences: s.occurrences,
        monosemanticity: s.monosemanticity,
        meanSpan: s.meanSpan,
        contexts: s.examples.slice(0, 2).map((e) => {
          const d = docs.get(e.doc) ?? [];
          return `${decode(d.slice(Math.max(0, e.position - 6), e.position))}[[${decode(d.slice(e.position, e.position + 1))}]]${decode(d.slice(e.position + 1, e.position + 4))}`;
        }),
      }));
      const summary = summarise(a.stats, [], p.metrics.languageCut, p.metrics.minOccurrences ?? 1);
      into.push({ step: ck.step, tokens: ck.tokens, layer: a.layer, summary, fvu: a.fvu, l0: a.l0, examples });
      options.log(
        `${size} ${ck.step === 0 ? 'random init' : `step ${ck.step}`} layer ${a.layer}: mixed ${(summary.mixedProportion * 100).toFixed(1)}%, monosemanticity ${summary.meanMonosemanticity.toFixed(3)}, fvu ${a.fvu.toFixed(3)}`,
      );
    }
  };
  for (const ck of checkpoints) await measure(ck, points);
  const last = lastEval;
  const evalTokenScripts = last?.scriptTable
    ? await evalScriptShares(last.evalStoreDir, last.scriptTable, spec.languages)
    : undefined;
  // Learning's baseline: the same architecture and tokenizer before any update, measured the same way.
  const randomInit: DynamicsPoint[] = [];
  if (p.randomInit)
    await measure(await randomInitCheckpoint(p, spec.pair, { size, checkpoints: all }, `spec ${spec.id}`), randomInit);
  return {
    size,
    layers,
    points,
    ...(p.randomInit ? { randomInit } : {}),
    ...(evalTokenScripts ? { evalTokenScripts } : {}),
    timings,
  };
}

/** Shares of each language's evaluation tokens by script (libs/metrics/src/script-shares.ts), keyed by language. */
async function evalScriptShares(
  dir: string,
  table: Uint8Array,
  languages: readonly [string, string],
): Promise<Record<string, TokenScriptShares>> {
  const store = await ActivationStore.open(dir);
  const shares = await tokenScriptShares(store.batches({ batchRows: 4096 }), table, 2);
  return Object.fromEntries(languages.map((l, i) => [l, shares[i] as TokenScriptShares]));
}

/** Every token id of a store, in its order. */
async function storeTokens(store: ActivationStore): Promise<Int32Array> {
  const out = new Int32Array(store.rows);
  let at = 0;
  for await (const b of store.batches({ batchRows: 4096 })) {
    out.set(b.tokenIds.subarray(0, b.rows), at);
    at += b.rows;
  }
  return out;
}

/** Token ids by position of the given documents of an activation store (one pass over it). */
async function documentTokens(dir: string, wanted: ReadonlySet<number>): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  if (wanted.size === 0) return out;
  const store = await ActivationStore.open(dir);
  for await (const b of store.batches({ batchRows: 4096 })) {
    for (let r = 0; r < b.rows; r++) {
      const doc = b.docIds[r] as number;
      if (!wanted.has(doc)) continue;
      const arr = out.get(doc) ?? [];
      arr[b.positions[r] as number] = b.tokenIds[r] as number;
      out.set(doc, arr);
    }
  }
  return out;
}

export interface CheckpointAnalysis {
  readonly evalStoreDir: string;
  /** Per token id: 1 the first language's script, 2 the second's, 0 neither (tools/harness/src/scripts.ts). */
  readonly scriptTable?: Uint8Array;
  readonly layer: number;
  readonly params: SaeParams;
  readonly d: number;
  readonly n: number;
  readonly k: number;
  readonly stats: FeatureStat[];
  readonly fvu: number;
  readonly l0: number;
}

/**
 * One checkpoint: activations (train and eval splits, all layers in one pass), an SAE per layer trained on
 * the train activations, and its features measured on the eval activations. Every stage is cached by content.
 */
export async function analyseCheckpoint(
  spec: ExperimentSpec,
  p: ProfileSpec,
  dir: string,
  layers: readonly number[],
  embeddings: TensorData,
  timings: { extract: number; sae: number; metrics: number },
  progress: Progress = noProgress,
): Promise<CheckpointAnalysis[]> {
  let t0 = performance.now();
  const { train, eval: evalSet, scripts } = await extractCheckpoint(spec, p, dir, layers, progress);
  timings.extract += (performance.now() - t0) / 1000;
  const out: CheckpointAnalysis[] = [];
  for (const layer of layers) {
    // Read several times (epochs, rates, metric passes): each shard is read and checksummed once.
    const trainStore = await ActivationStore.open(train.stores.get(layer) as string, { retainShards: true });
    const evalStore = await ActivationStore.open(evalSet.stores.get(layer) as string, { retainShards: true });
    t0 = performance.now();
    const { cfg, dir: saeDir, params } = await checkpointSae(spec, p, dir, layer, trainStore, progress);
    timings.sae += (performance.now() - t0) / 1000;
    t0 = performance.now();
    // Figures 3-7 (and 8-9) measure the same SAEs on the same held-out store: the measurements are cached
    // beside the SAE, keyed by everything that changes them (store, metric settings, embedding matrix).
    // A quantile cut is resolved on these embeddings over the evaluation tokens (pairs drawn as often as tokens
    // occur), and the number it gives keys the measurement.
    const cosineCut =
      typeof p.metrics.cosineCut === 'number'
        ? p.metrics.cosineCut
        : resolveCosineCut(
            p.metrics.cosineCut,
            embeddings.data as Float32Array,
            embeddings.shape[1] as number,
            await storeTokens(evalStore),
          );
    const measuredFile = join(
      saeDir,
      `measured-${measurementKey(evalStore.manifest.key, typeof p.metrics.cosineCut === 'number' ? p.metrics : { ...p.metrics, cosineCut }, embeddingKey(embeddings), scripts?.key ?? 'none')}.json`,
    );
    let measured = readMeasured(measuredFile);
    if (measured === null) {
      const enc = await SaeEncoder.create(params, cfg.d, cfg.n, cfg.k, { threads: p.threads });
      // Three passes over the eval store (maxima, occurrences, quality): one stage of 3x its rows.
      const bar = progress.stage(`metrics ${basename(dir)} layer ${layer}`, 3 * evalStore.rows, 'rows');
      let seen = 0;
      const evalBatches = async function* (): AsyncGenerator<TokenBatch> {
        for await (const b of evalStore.batches({ batchRows: 4096 })) {
          yield b;
          bar.update((seen += b.rows));
        }
      };
      const maxima = await featureMaxima(enc, evalBatches);
      const occ = await collectOccurrences(enc, evalBatches, maxima, { numLangs: 2 });
      const stats = featureStats(occ, {
        embeddings: embeddings.data as Float32Array,
        embeddingDim: embeddings.shape[1] as number,
        cut: p.metrics.languageCut,
        cosineCut: cosineCut,
        clusterRule: p.metrics.clusterRule,
        ...(scripts ? { tokenScripts: scripts.table } : {}),
      });
      // Per-feature columns and the summary beside the SAE, keyed by the evaluation store.
      await saveFeatureMetrics(
        join(saeDir, `metrics-${evalStore.manifest.key.slice(0, 16)}`),
        stats,
        summarise(stats),
        spec.languages,
      );
      const quality = await evaluateSae(
        enc,
        (async function* () {
          for await (const b of evalStore.batches({ batchRows: 4096 })) {
            yield b.x;
            bar.update((seen += b.rows));
          }
        })(),
      );
      bar.end(`${stats.length} features, FVU ${quality.fvu.toFixed(3)}`);
      await enc.release();
      measured = { stats, fvu: quality.fvu, l0: quality.l0 };
      await writeJsonAtomic(
        measuredFile,
        JSON.parse(
          JSON.stringify(measured, (_k, v: unknown) =>
            typeof v === 'number' && !Number.isFinite(v) ? `${NON_FINITE}${v}` : v,
          ),
        ),
      );
    }
    const { stats, fvu, l0 } = measured;
    timings.metrics += (performance.now() - t0) / 1000;
    out.push({
      evalStoreDir: evalStore.dir,
      ...(scripts ? { scriptTable: scripts.table } : {}),
      layer,
      params,
      d: cfg.d,
      n: cfg.n,
      k: cfg.k,
      stats,
      fvu,
      l0,
    });
  }
  return out;
}

interface Measured {
  readonly stats: FeatureStat[];
  readonly fvu: number;
  readonly l0: number;
}

/** JSON has no NaN or Infinity; they are written as this prefix and the number's name. */
const NON_FINITE = '__number:';

function embeddingKey(e: TensorData): string {
  const x = e.data as Float32Array;
  return createHash('sha256')
    .update(JSON.stringify(e.shape))
    .update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))
    .digest('hex')
    .slice(0, 16);
}

function measurementKey(
  evalStoreKey: string,
  metrics: ProfileSpec['metrics'],
  embeddings: string,
  scripts: string,
): string {
  return createHash('sha256')
    .update(JSON.stringify({ evalStoreKey, metrics, embeddings, scripts, numLangs: 2, v: SAETRACE_VERSION }))
    .digest('hex')
    .slice(0, 24);
}

function readMeasured(file: string): Measured | null {
  if (!existsSync(file)) return null;
  return readJsonRecord<Measured>(
    file,
    'delete it to measure again (cached measurements)',
    undefined,
    (_k, v: unknown) => (typeof v === 'string' && v.startsWith(NON_FINITE) ? Number(v.slice(NON_FINITE.length)) : v),
  );
}
