import { join } from 'node:path';
import { checkSite, readDocuments, readParallel, LlamaModel, midSite } from '@saetrace/lm';
import {
  baselineRow,
  decodeInjector,
  encodeWindows,
  interventionRows,
  languageName,
  referencePerplexity,
  scoredSequence,
  type EvalWindows,
  type Injection,
  type InterventionRow,
  type FeatureClass,
} from '@saetrace/intervention';
import { corpusBleu, corpusChrf } from '@saetrace/metrics';
import { SaeEncoder } from '@saetrace/sae';
import { corpusDirOf, largestMemberEmbeddings, resolveCheckpoints } from '../family.ts';
import type { ExperimentSpec, ProfileSpec } from '../spec.ts';
import { analyseCheckpoint } from './feature-dynamics.ts';
import { noProgress, type Progress } from '@saetrace/engine';

export interface InterventionResult {
  readonly size: string;
  readonly layer: number;
  readonly midStep: number;
  readonly fullStep: number;
  readonly classCounts: Readonly<Record<string, number>>;
  /**
   * The fully trained model's translation scores without an injection (intervention.referencePerplexity): the
   * ceiling an injection of its features moves the mid checkpoint toward, and a check that the task is solvable.
   */
  readonly fullModel?: Readonly<Record<string, number>>;
  readonly settings: readonly {
    readonly alpha: number;
    readonly features: number;
    readonly rows: readonly InterventionRow[];
  }[];
  readonly timings: {
    readonly extract: number;
    readonly sae: number;
    readonly metrics: number;
    readonly evaluation: number;
  };
}

const SCRIPT_TARGETS = new Set(['ja', 'ko', 'zh', 'zh_CN', 'zh_TW']);

/**
 * Tables 1 and 4: inject features of the fully trained model's SAE (one class at a time, random masks) into a
 * mid-training checkpoint at one site (../shared/SPEC.md section 5), and measure perplexity per language and translation
 * in both directions (few-shot prompt, greedy decoding, chrF and BLEU; COMET is not available offline: the
 * scorer is a hook a model-based metric can fill).
 */
export async function interventionExperiment(
  spec: ExperimentSpec,
  p: ProfileSpec,
  options: { log: (s: string) => void; progress?: Progress },
): Promise<InterventionResult> {
  const iv = p.intervention;
  if (!iv) throw new Error(`spec ${spec.id}: kind 'intervention' needs an 'intervention' block in the profile`);
  const { size, checkpoints } = await resolveCheckpoints(p, spec.pair, {
    threads: p.threads,
    log: options.log,
    progress: options.progress,
  });
  const fullCk = checkpoints.at(-1) as (typeof checkpoints)[number];
  const midCk = checkpoints[iv.midCheckpoint - 1];
  if (!midCk || midCk === fullCk)
    throw new Error(
      `intervention.midCheckpoint ${iv.midCheckpoint} must name a checkpoint before the last (1..${checkpoints.length - 1})`,
    );
  const full = await LlamaModel.load(fullCk.dir, { threads: p.threads });
  const mid = await LlamaModel.load(midCk.dir, { threads: p.threads });
  const tok = full.tokenizer;
  if (!tok) throw new Error(`${fullCk.dir}: a tokenizer is needed for the intervention`);
  const layer = iv.layer === 'mid' ? midSite(full.numLayers) : iv.layer;
  checkSite(`spec ${spec.id}: intervention.layer`, layer, full.numLayers);
  const { embeddings } = await largestMemberEmbeddings(
    p,
    spec.pair,
    { dir: fullCk.dir, vocabRows: full.config.vocabSize },
    { threads: p.threads, log: options.log, progress: options.progress },
  );
  const timings = { extract: 0, sae: 0, metrics: 0, evaluation: 0 };
  const [analysis] = await analyseCheckpoint(spec, p, fullCk.dir, [layer], embeddings, timings, options.progress);
  if (!analysis) throw new Error('no SAE analysis for the injection layer');
  const classes = analysis.stats.map((s) => s.cls) as FeatureClass[];
  const classCounts = { first: 0, second: 0, mixed: 0, dead: 0 };
  for (const c of classes) classCounts[c]++;
  const sae = await SaeEncoder.create(analysis.params, analysis.d, analysis.n, analysis.k, { threads: p.threads });
  const [l1, l2] = spec.languages;
  const corpusDir = corpusDirOf(p, spec.pair);
  // Evaluation windows: BOS plus the first 63 tokens of held-out documents of at least that length.
  const T = 64;
  const rows: number[] = [];
  const langs: number[] = [];
  for (const [li, lang] of spec.languages.entries()) {
    let taken = 0;
    for await (const d of readDocuments(corpusDir, 'eval', lang)) {
      const ids = await tok.encode(d.text);
      if (ids.length < T - 1) continue;
      rows.push(tok.bosId, ...ids.slice(0, T - 1));
      langs.push(li);
      if (++taken >= iv.evalDocsPerLang) break;
    }
  }
  const windows: EvalWindows = {
    tokens: Int32Array.from(rows),
    count: langs.length,
    seqLen: T,
    langs: Uint8Array.from(langs),
  };
  const shots: Record<string, string>[] = [];
  for await (const pr of readParallel(corpusDir, 'dev')) {
    if (shots.length >= iv.shots) break;
    shots.push({ ...pr.text });
  }
  const tests: Record<string, string>[] = [];
  for await (const pr of readParallel(corpusDir, 'test')) {
    if (tests.length >= iv.translationPairs) break;
    tests.push({ ...pr.text });
  }
  const window = Math.min(full.config.maxPositionEmbeddings, 128);
  const directions = [
    [l1, l2],
    [l2, l1],
  ] as const;
  // Prompts and references tokenised once for every scoring: the reference as the continuation greedy decoding
  // would have to produce (a space, the text, the newline that stops it), appended to the prompt's ids.
  const prompted = await Promise.all(
    directions.map(async ([src, tgt]) => {
      const prompt = (x: string) =>
        `${shots.map((s) => `${languageName(src)}: ${s[src]}\n${languageName(tgt)}: ${s[tgt]}\n`).join('')}${languageName(src)}: ${x}\n${languageName(tgt)}:`;
      const ids = await tok.encodeBatch(tests.map((t) => prompt(t[src] as string)));
      const refIds = iv.referencePerplexity ? await tok.encodeBatch(tests.map((t) => ` ${t[tgt]}\n`)) : [];
      return {
        src,
        tgt,
        // A prompt longer than the window keeps its last `window` tokens, as one-prompt generation did.
        prompts: ids.map((x) => [tok.bosId, ...x].slice(-window)),
        scored: refIds.map((r, i) => scoredSequence(tok.bosId, ids[i] as number[], r, window)),
      };
    }),
  );
  const translate = async (injection: Injection | null, model = mid): Promise<Record<string, number>> => {
    if (tests.length === 0) return {};
    const out: Record<string, number> = {};
    for (const { src, tgt, prompts, scored } of prompted) {
      // One batched generation per direction.
      const gens = await model.generateBatch(prompts, iv.maxNewTokens, {
        stop: '\n',
        window,
        // Cached decoding: the full model is tapped along through its own cache, the prompt window once and
        // then each new token; only real positions are encoded by the SAE.
        injector: injection ? decodeInjector(full.decodeTapper(injection.layer), injection) : undefined,
      });
      const hyps = gens.map((gen) => tok.decode(gen).trimStart().split('\n')[0]?.trim() ?? '');
      const refs = tests.map((t) => [t[tgt] as string]);
      out[`chrF ${src}->${tgt}`] = corpusChrf(hyps, refs);
      out[`BLEU ${src}->${tgt}`] = corpusBleu(hyps, refs, { tokenize: SCRIPT_TARGETS.has(tgt) ? 'char' : '13a' });
      if (iv.referencePerplexity)
        out[`refPpl ${src}->${tgt}`] = (await referencePerplexity(model, scored, injection, tok.bosId)).perplexity;
    }
    return out;
  };
  const settings: InterventionResult['settings'][number][] = [];
  const t0 = performance.now();
  const fullModel = iv.referencePerplexity ? await translate(null, full) : undefined;
  // h_full and its SAE codes on the evaluation windows depend on no alpha, n, class or draw: tapped and
  // encoded once here, decoded per intervention (bit-identical to encoding per intervention).
  const codes = iv.alphas.some((a) => a !== 0) ? await encodeWindows(full, sae, layer, windows) : undefined;
  const setting = {
    mid,
    full,
    sae,
    layer,
    classes,
    languages: [l1, l2] as const,
    windows,
    seed: p.seed,
    translate,
    codes,
    variant: {
      includeBias: iv.includeBias ?? false,
      rescale: iv.rescale ?? true,
      ...(iv.unitDecode ? { unitDecode: true } : {}),
      ...(iv.maskBeforeTopK ? { maskBeforeTopK: true } : {}),
    },
  };
  // The 'none' row depends on no alpha or n: once for all of Table 4's settings.
  const baseline = await baselineRow(setting);
  const bar = (options.progress ?? noProgress).stage(
    'intervention settings',
    iv.alphas.length * iv.features.length,
    'settings',
  );
  for (const alpha of iv.alphas) {
    for (const count of iv.features) {
      const r = await interventionRows({ ...setting, baseline }, alpha, count, iv.draws);
      settings.push({ alpha, features: count, rows: r });
      bar.update(settings.length, { alpha, n: count });
      options.log(
        `alpha ${alpha}, n ${count}: ${r.map((x) => `${x.added} ppl ${x.perplexity.all?.mean.toFixed(2)}`).join('; ')}`,
      );
    }
  }
  timings.evaluation = (performance.now() - t0) / 1000;
  bar.end(`${settings.length} settings x ${iv.draws} draws`);
  await sae.release();
  await full.release();
  await mid.release();
  return {
    size,
    layer,
    midStep: midCk.step,
    fullStep: fullCk.step,
    classCounts,
    ...(fullModel ? { fullModel } : {}),
    settings,
    timings,
  };
}
