import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRng, writeFileAtomic } from '@saetrace/engine';
import { timeIt, type Timing } from '@saetrace/engine/bench';
import { extractActivations } from '../extract.ts';
import { ActivationStore } from '../store.ts';
import type { TapModel } from '../tap-model.ts';
import { fixtureDocs, writeFixtureDocs } from '../testing/fixture-corpus.ts';
import type { StoreDType } from '../shard.ts';

/**
 * A model whose forward pass costs only a copy of precomputed random activations, so the timings
 * measure the pipeline's own overhead (windowing, BOS drop, normalisation, checksums, writes, reads).
 */
class ReplayModel implements TapModel {
  readonly numLayers = 2;
  readonly bosId = 1;
  private readonly pool: Float32Array;
  constructor(
    readonly dModel: number,
    maxRows: number,
  ) {
    this.pool = runRng('bench')
      .stream('activations/replay')
      .normalArray(maxRows * dModel);
  }
  async encode(text: string): Promise<number[]> {
    return Array.from(text, (c) => (c.codePointAt(0)! % 997) + 4);
  }
  async encodeBatch(texts: readonly string[]): Promise<number[][]> {
    return Promise.all(texts.map((t) => this.encode(t)));
  }
  fingerprint(): string {
    return `replay-${this.dModel}`;
  }
  async tap(
    _t: Int32Array,
    batch: number,
    seqLen: number,
    layers: readonly number[],
  ): Promise<Map<number, Float32Array>> {
    const n = batch * seqLen * this.dModel;
    return new Map(layers.map((l) => [l, this.pool.slice(0, n)]));
  }
}

export interface ActivationsBenchRow {
  readonly stage: string;
  readonly dtype: StoreDType;
  readonly tokensPerSecond: number;
  readonly timing: Timing;
}

export interface ActivationsBenchResult {
  readonly name: 'activations';
  readonly json: { d: number; tokens: number; layers: number; batchDocs: number; rows: ActivationsBenchRow[] };
  readonly report: string;
  readonly targetsMet: boolean;
}

/** `saetrace bench activations`: extraction and reading throughput of the store, model cost excluded. */
export async function activationsBench(options: {
  quick: boolean;
  reportDir?: string;
  d?: number;
}): Promise<ActivationsBenchResult> {
  const d = options.d ?? 512;
  const docsPerLang = options.quick ? 64 : 256;
  const iters = options.quick ? 2 : 5;
  const batchDocs = 32;
  const root = mkdtempSync(join(tmpdir(), 'bench-activations-'));
  const rows: ActivationsBenchRow[] = [];
  const tokens = docsPerLang * 2 * 64;
  try {
    const corpusDir = join(root, 'corpus');
    writeFixtureDocs(corpusDir, 'train', 'en', fixtureDocs('en', docsPerLang, [300], 'abcdefghijklmnopqrstuvwxyz '));
    writeFixtureDocs(corpusDir, 'train', 'ja', fixtureDocs('ja', docsPerLang, [300], 'あいうえおかきくけこさしすせそ'));
    const model = new ReplayModel(d, batchDocs * 65);
    let run = 0;
    let lastStore = '';
    for (const dtype of ['float32', 'float16'] as const) {
      const timing = await timeIt(
        async () => {
          const res = await extractActivations({
            model,
            layers: [0, 1],
            corpusDir,
            split: 'train',
            langs: ['en', 'ja'],
            tokensPerLang: docsPerLang * 64,
            seed: 0,
            cacheDir: join(root, `cache-${run++}`),
            dtype,
            batchDocs,
          });
          lastStore = res.stores.get(0)!;
        },
        { warmup: 1, iters },
      );
      rows.push({ stage: 'extract (2 layers)', dtype, tokensPerSecond: tokens / (timing.medianMs / 1000), timing });
      const store = await ActivationStore.open(lastStore);
      const read = await timeIt(
        async () => {
          let n = 0;
          for await (const b of store.batches({ batchRows: 4096, seed: 1 })) n += b.rows;
          if (n !== tokens) throw new Error(`bench: read ${n} rows, expected ${tokens}`);
        },
        { warmup: 1, iters },
      );
      rows.push({
        stage: 'read shuffled (1 layer)',
        dtype,
        tokensPerSecond: tokens / (read.medianMs / 1000),
        timing: read,
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const md = [
    '# Activations benchmark: store throughput',
    '',
    `d = ${d}, ${tokens} tokens (${docsPerLang} documents per language x 64), ${batchDocs} windows of 65 tokens per forward call.`,
    "The model is a replay of precomputed activations, so these rates are the pipeline's own overhead",
    '(tokenising, windowing, BOS drop, unit norm, checksums, atomic shard writes, verified reads), an upper',
    `bound on end-to-end speed. Median of ${iters} runs after 1 warm-up. The issue sets no target for this.`,
    '',
    '| stage | dtype | tokens/s | median ms | rel. MAD |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.stage} | ${r.dtype} | ${Math.round(r.tokensPerSecond)} | ${r.timing.medianMs.toFixed(1)} | ${(r.timing.relMad * 100).toFixed(1)}% |`,
    ),
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${process.platform}/${process.arch}, Node ${process.version}.`,
    '',
  ].join('\n');
  const report = join(options.reportDir ?? 'reports/bench', 'activations.md');
  await writeFileAtomic(report, md);
  return { name: 'activations', json: { d, tokens, layers: 2, batchDocs, rows }, report, targetsMet: true };
}
