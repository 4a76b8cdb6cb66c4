import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { ActivationStore } from '@saetrace/activations';
import { loadTokenizer } from '@saetrace/lm';
import { classifyByPeakTokens, summarise, type ExampleSequence, type FeatureClass } from '@saetrace/metrics';
import { loadSae, SaeEncoder } from '@saetrace/sae';
import { lineageEdges, mixedDescent, type LineageEdge, type LineageNode } from './chains.ts';
import { readMeasured, scanCache, type CachedSae } from './scan.ts';
import type { EdgeSummary, FeatureData, LinkData, SaeFile, SiteIndex, TextTables } from './site-types.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface BuildOptions {
  readonly pair: string;
  /** The zoo profile whose SAEs are shown ('smoke' or 'default'). */
  readonly profile: string;
  readonly out: string;
  readonly cacheDir?: string;
  /** Cosine a lineage link needs (decoder directions). */
  readonly threshold?: number;
  /** Top activating contexts shown per feature, and how many the peak-token rule reads. */
  readonly contexts?: number;
  readonly peakExamples?: number;
  readonly threads?: number;
  /** Narrows the cached SAEs (e.g. to those one spec made); all of them by default. */
  readonly select?: (saes: CachedSae[]) => CachedSae[];
  readonly log?: (s: string) => void;
}

export interface BuildResult {
  readonly saes: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly out: string;
}

export const DEFAULT_THRESHOLD = 0.7;
const HIST_BINS = 20;

export const saeId = (s: { size: string; recipe: string; step: number; layer: number }) =>
  `${s.size}-${s.recipe}-L${s.layer}-s${s.step}`.replace(/[^A-Za-z0-9_.-]/g, '_');

/** The lineage nodes of cached SAEs: their decoder rows and cached classes (nothing is recomputed). */
export async function lineageNodes(saes: readonly CachedSae[]): Promise<LineageNode[]> {
  const out: LineageNode[] = [];
  for (const s of saes) {
    const { params, record } = await loadSae(s.dir);
    const classes = readMeasured(s.measuredFile).stats.map((x) => x.cls);
    out.push({
      id: saeId(s),
      size: s.size,
      recipe: s.recipe,
      step: s.step,
      layer: s.layer,
      d: record.config.d,
      W_dec: params.W_dec,
      classes,
    });
  }
  return out;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    total += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return total;
}

const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(3)) : v,
  );

/** The data files are scripts that hand their object to the page, so the site opens from file:// (no fetch).
 * A packed file hands over its JSON gzipped and base64-encoded, which the page inflates with the browser's
 * DecompressionStream: an SAE's feature table is about a third of its JSON size that way (base64 included). */
export const dataScript = (id: string, value: unknown, packed = false) =>
  `window.saetraceData(${JSON.stringify(id)},${packed ? JSON.stringify(gzipSync(json(value), { level: 9 }).toString('base64')) : json(value)});\n`;

/** Reads a data file back (tests, tools): the value its script hands to the page, inflated when packed. */
export function readDataScript(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  const m = /^window\.saetraceData\(("(?:[^"\\]|\\.)*"),([\s\S]*)\);\n?$/.exec(text);
  if (!m) throw new Error(`${file}: not a saetrace data file`);
  const value: unknown = JSON.parse(m[2] as string);
  return typeof value === 'string' ? JSON.parse(gunzipSync(Buffer.from(value, 'base64')).toString('utf8')) : value;
}

/** Key of an SAE's text tables: its checkpoint's tokenizer (same file, same token strings). */
function textKey(checkpoint: string): string {
  const f = join(checkpoint, 'tokenizer.json');
  const h = createHash('sha256').update(existsSync(f) ? readFileSync(f) : checkpoint);
  return h.digest('hex').slice(0, 12);
}

export async function buildSite(o: BuildOptions): Promise<BuildResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const threshold = o.threshold ?? DEFAULT_THRESHOLD;
  const scanned = scanCache(o.cacheDir ?? '.cache', o.pair, o.profile);
  const saes = o.select ? o.select(scanned) : scanned;
  if (saes.length === 0)
    throw new Error(
      `no cached SAEs with measurements for pair ${o.pair}, profile ${o.profile} under ${o.cacheDir ?? '.cache'} (run npx saetrace run ${o.pair}/figure5 --profile ${o.profile} first)`,
    );
  rmSync(o.out, { recursive: true, force: true });
  mkdirSync(join(o.out, 'data'), { recursive: true });
  const nodes = await lineageNodes(saes);
  const edges = lineageEdges(nodes, threshold);
  log(`${saes.length} SAEs, ${edges.length} lineage edges (threshold ${threshold})`);
  const edgeSummary = (e: LineageEdge): EdgeSummary => ({
    axis: e.axis,
    from: e.from.id,
    to: e.to.id,
    counts: e.lineage.counts,
    ...(e.axis === 'checkpoint' ? { mixed: mixedDescent([e]) } : {}),
  });
  const index: SiteIndex = {
    pair: o.pair,
    profile: o.profile,
    threshold,
    languages: [],
    saes: [],
    edges: edges.map(edgeSummary),
    built: new Date().toISOString(),
  };
  const tokenizers = new Map<string, Awaited<ReturnType<typeof loadTokenizer>>>();
  const texts = new Map<
    string,
    { tokens: Record<string, string>; docs: Record<string, { lang: number; ids: number[] }> }
  >();
  for (const [i, s] of saes.entries()) {
    const id = saeId(s);
    const { params, record } = await loadSae(s.dir);
    const { stats, fvu, l0 } = readMeasured(s.measuredFile);
    const { n, k, d } = record.config;
    let tok = tokenizers.get(s.record.checkpoint);
    if (!tok) {
      tok = await loadTokenizer(s.record.checkpoint);
      tokenizers.set(s.record.checkpoint, tok);
    }
    const store = await ActivationStore.open(s.evalStoreDir);
    const languages = [...store.langs];
    index.languages = languages;
    // One encoding pass over the held-out store: every row's top-k codes, each feature's peak per document,
    // an activation histogram and its firing frequency.
    const rowDoc: number[] = [];
    const rowTok: number[] = [];
    const docLang = new Map<number, number>();
    const codesV: Float32Array[] = [];
    const codesI: Int32Array[] = [];
    const maxAct = new Float32Array(n);
    const fires = new Float64Array(n);
    const docPeak = new Map<number, Map<number, number>>(); // feature -> doc -> peak
    const enc = await SaeEncoder.create(params, d, n, k, { threads: o.threads ?? 2 });
    for await (const b of store.batches({ batchRows: 4096 })) {
      const c = await enc.encode(b.x, b.rows);
      codesV.push(c.values.slice());
      codesI.push(c.indices.slice());
      for (let r = 0; r < b.rows; r++) {
        const doc = b.docIds[r] as number;
        rowDoc.push(doc);
        rowTok.push(b.tokenIds[r] as number);
        docLang.set(doc, b.langs[r] as number);
        for (let j = 0; j < k; j++) {
          const v = c.values[r * k + j] as number;
          const f = c.indices[r * k + j] as number;
          if (!(v > 0)) continue;
          fires[f]++;
          if (v > (maxAct[f] as number)) maxAct[f] = v;
          let m = docPeak.get(f);
          if (!m) {
            m = new Map();
            docPeak.set(f, m);
          }
          if (v > (m.get(doc) ?? 0)) m.set(doc, v);
        }
      }
    }
    await enc.release();
    const rows = rowDoc.length;
    const allV = new Float32Array(rows * k);
    const allI = new Int32Array(rows * k);
    {
      let off = 0;
      codesV.forEach((v, j) => {
        allV.set(v, off);
        allI.set(codesI[j] as Int32Array, off);
        off += v.length;
      });
    }
    const hist = Array.from({ length: n }, () => new Array<number>(HIST_BINS).fill(0));
    for (let r = 0; r < rows * k; r++) {
      const v = allV[r] as number;
      const f = allI[r] as number;
      if (v > 0) hist[f]![Math.min(HIST_BINS - 1, Math.floor((v / (maxAct[f] as number)) * HIST_BINS))]!++;
    }
    const docRows = new Map<number, number[]>();
    for (let r = 0; r < rows; r++) {
      const rs = docRows.get(rowDoc[r] as number);
      if (rs) rs.push(r);
      else docRows.set(rowDoc[r] as number, [r]);
    }
    const usedDocs = new Set<number>();
    const usedTokens = new Set<number>();
    const decodeCache = new Map<number, string>();
    const decode = (t: number) => {
      let s = decodeCache.get(t);
      if (s === undefined) {
        s = tok!.decode([t]);
        decodeCache.set(t, s);
      }
      return s;
    };
    const actIn = (r: number, f: number) => {
      for (let j = 0; j < k; j++) if (allI[r * k + j] === f) return allV[r * k + j] as number;
      return 0;
    };
    const node = nodes.find((x) => x.id === id) as LineageNode;
    const near = (axis: 'checkpoint' | 'layer', dir: 'in' | 'out') =>
      edges.filter((e) => e.axis === axis && (dir === 'in' ? e.to === node : e.from === node));
    const features: FeatureData[] = stats.map((st) => {
      const f = st.feature;
      if (st.cls === 'dead') return { f, cls: 'dead' as FeatureClass };
      const peaks = [...(docPeak.get(f) ?? new Map<number, number>()).entries()].sort(
        (a, b) => b[1] - a[1] || a[0] - b[0],
      );
      const seqOf = (doc: number): ExampleSequence =>
        (docRows.get(doc) ?? []).map((r) => [decode(rowTok[r] as number), actIn(r, f)] as const);
      const peakRule = classifyByPeakTokens(
        peaks.slice(0, o.peakExamples ?? 50).map(([doc]) => seqOf(doc)),
        'llmjp-regex',
        0.9,
      );
      const ex = peaks.slice(0, o.contexts ?? 6).map(([doc]) => {
        usedDocs.add(doc);
        const row: number[] = [doc];
        (docRows.get(doc) ?? []).forEach((r, at) => {
          const a = actIn(r, f);
          if (a > 0) row.push(at, Math.max(1, Math.round((a / (maxAct[f] as number)) * 1000)));
        });
        return row;
      });
      st.topTokens.forEach((t) => usedTokens.add(t.id));
      const links = (axis: 'checkpoint' | 'layer', dir: 'in' | 'out') =>
        near(axis, dir).flatMap((e) =>
          e.lineage.links
            .filter((l) => (dir === 'in' ? l.to : l.from) === f)
            .map(
              (l): LinkData => [
                nodes.indexOf(dir === 'in' ? e.from : e.to),
                dir === 'in' ? l.from : l.to,
                l.cosine,
                l.kind === 'match' ? 0 : 1,
                (dir === 'in' ? e.from : e.to).classes[dir === 'in' ? l.from : l.to] as FeatureClass,
              ],
            ),
        );
      return {
        f,
        cls: st.cls,
        peakRule,
        pLang: st.pLang,
        occ: st.occurrences,
        freq: (fires[f] as number) / rows,
        te: st.tokenEntropy,
        se: st.semanticEntropy,
        mono: st.monosemanticity,
        span: st.meanSpan,
        top: st.topTokens.map((t) => [t.id, t.p] as [number, number]),
        ex,
        hist: hist[f] as number[],
        histMax: maxAct[f] as number,
        prev: links('checkpoint', 'in'),
        next: links('checkpoint', 'out'),
        below: links('layer', 'in'),
        above: links('layer', 'out'),
      };
    });
    // The shared tables get every document and token this SAE shows; a document whose tokens differ from
    // what the table already holds (another held-out store under the same tokenizer) stays in this SAE's file.
    const key = textKey(s.record.checkpoint);
    let text = texts.get(key);
    if (!text) {
      text = { tokens: {}, docs: {} };
      texts.set(key, text);
    }
    const ownDocs: Record<string, { lang: number; ids: number[] }> = {};
    for (const doc of usedDocs) {
      const ids = (docRows.get(doc) ?? []).map((r) => rowTok[r] as number);
      ids.forEach((t) => usedTokens.add(t));
      const entry = { lang: docLang.get(doc) ?? 0, ids };
      const have = text.docs[doc];
      if (!have) text.docs[doc] = entry;
      else if (have.lang !== entry.lang || have.ids.join() !== ids.join()) ownDocs[doc] = entry;
    }
    for (const t of usedTokens) text.tokens[t] ??= decode(t);
    const summary = summarise(stats, languages);
    const data: SaeFile = {
      id,
      size: s.size,
      recipe: s.recipe,
      step: s.step,
      layer: s.layer,
      n,
      k,
      d,
      fvu,
      l0,
      languages,
      summary,
      evalTokens: rows,
      text: `text-${key}`,
      ...(Object.keys(ownDocs).length > 0 ? { docs: ownDocs } : {}),
      features,
    };
    writeFileSync(join(o.out, 'data', `${id}.js`), dataScript(id, data, true));
    index.saes.push({
      id,
      size: s.size,
      recipe: s.recipe,
      step: s.step,
      layer: s.layer,
      n,
      k,
      fvu,
      l0,
      dead: summary.dead / summary.features,
      shares: summary.shares,
      alive: summary.alive,
    });
    log(`[${i + 1}/${saes.length}] ${id}: ${summary.alive} alive features`);
  }
  for (const [key, t] of texts)
    writeFileSync(join(o.out, 'data', `text-${key}.js`), dataScript(`text-${key}`, t, true));
  writeFileSync(join(o.out, 'data', 'index.js'), dataScript('index', index));
  await esbuild({
    entryPoints: [join(here, 'client', 'app.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    minify: true,
    outfile: join(o.out, 'app.js'),
    logLevel: 'silent',
  });
  writeFileSync(join(o.out, 'index.html'), readFileSync(join(here, 'client', 'index.html'), 'utf8'));
  writeFileSync(join(o.out, 'style.css'), readFileSync(join(here, 'client', 'style.css'), 'utf8'));
  return { saes: saes.length, bytes: dirBytes(o.out), seconds: (performance.now() - t0) / 1000, out: o.out };
}
