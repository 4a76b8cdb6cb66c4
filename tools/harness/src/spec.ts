import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { FindingDecl } from './findings.ts';
import { SPEC_SCHEMA } from './schema.ts';

export type ProfileName = 'smoke' | 'default' | 'paper';

export interface ProfileSpec {
  readonly family: { readonly zoo: 'smoke' | 'default' } | { readonly paths: Readonly<Record<string, readonly { dir: string; tokens: number }[]>> };
  readonly size: string;
  readonly layers: readonly (number | 'mid' | 'all')[];
  readonly checkpoints: 'all' | readonly number[];
  readonly activations: { readonly trainTokensPerLang: number; readonly evalTokensPerLang: number };
  readonly sae: { readonly n: number; readonly k: number; readonly lr: number; readonly warmupSteps: number; readonly batchSize: number; readonly epochs: number; readonly precision?: 'fp32' | 'bf16' };
  readonly metrics: { readonly languageCut: number; readonly cosineCut: number; readonly clusterRule: 'greedy' | 'components' };
  readonly seed: number;
  readonly threads?: number;
  readonly intervention?: InterventionSpec;
}

export interface InterventionSpec {
  readonly midCheckpoint: number;
  readonly layer: number | 'mid';
  readonly alphas: readonly number[];
  readonly features: readonly number[];
  readonly draws: number;
  readonly evalDocsPerLang: number;
  readonly translationPairs: number;
  readonly shots: number;
  readonly maxNewTokens: number;
  readonly includeBias?: boolean;
  readonly rescale?: boolean;
}

export interface Tolerance {
  readonly atol?: number;
  readonly rtol?: number;
  readonly side?: 'both' | 'higher-is-better' | 'lower-is-better';
  /**
   * The metric is a proportion over `count` items (a metric under the same first path segment, e.g. 'alive'
   * for 'step-000058@L3/shares/second'). The allowance is widened to z standard errors of the difference of
   * two such proportions, sqrt(p(1-p)(1/n_expected + 1/n_got)) at the pooled p, when that exceeds atol + rtol.
   */
  readonly proportionOf?: { readonly count: string; readonly z: number };
}

export interface ExperimentSpec {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly kind: 'feature-dynamics' | 'intervention' | 'sae-sizes';
  readonly pair: string;
  readonly languages: readonly [string, string];
  readonly profiles: Readonly<Record<ProfileName, ProfileSpec>>;
  readonly golden: Readonly<Record<string, Tolerance>>;
  /** The paper's claims this spec checks on every run; the golden records which hold. */
  readonly findings?: readonly FindingDecl[];
}

/** One problem in a spec file, located by line, column and key path. */
export interface SpecIssue { readonly file: string; readonly line: number; readonly column: number; readonly path: string; readonly message: string }

export type SpecResult = { readonly ok: true; readonly spec: ExperimentSpec } | { readonly ok: false; readonly issues: readonly SpecIssue[] };

// strictRequired off: 'anyOf: [{required: [atol]}, {required: [rtol]}]' names properties defined one level up.
const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictRequired: false, verbose: true });
const validate = ajv.compile(SPEC_SCHEMA);

/** The YAML node at a key path; with `key`, the last segment's key node (where a misspelt key stands). */
function nodeAt(root: Node | null, segments: readonly string[], key = false): Node | null {
  let node: Node | null = root;
  for (const [i, s] of segments.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === s);
      if (!pair) break;
      node = key && i === segments.length - 1 ? (pair.key as Node) : ((pair.value as Node | undefined) ?? (pair.key as Node));
    } else if (isSeq(node)) {
      node = (node.items[Number(s)] as Node | undefined) ?? node;
    } else break;
  }
  return node;
}

const GIB = 2 ** 30;
const gib = (bytes: number): string => `${(bytes / GIB).toPrecision(3)} GiB`;
/** Model width for estimates: LLM-jp-3 3.7B's, the largest the paper studies (SPEC section 1). */
const PAPER_D = 3072;

/** What a too-large size-like value would cost, for the message that refuses it (key path segments, the value, its profile). */
export function memoryEstimate(segs: readonly string[], value: number, profile: unknown): string {
  const sae = (profile as { sae?: { n?: number; batchSize?: number } } | undefined)?.sae;
  const key = segs.at(-1);
  if (segs.includes('intervention') && segs.includes('features')) return '';
  switch (key) {
    case 'n': return `; an SAE of n = ${value} at width d = ${PAPER_D} needs ${gib(value * PAPER_D * 4 * 6)} (encoder and decoder with both Adam moments, float32)`;
    case 'batchSize': return `; one step's dense encoder output of ${value} x n = ${sae?.n ?? '?'} needs ${sae?.n ? gib(value * sae.n * 4) : 'batchSize x n x 4 bytes'}`;
    case 'k': return `; the TopK indices and values of a batch of ${sae?.batchSize ?? '?'} need ${sae?.batchSize ? gib(value * sae.batchSize * 12) : 'batchSize x k x 12 bytes'}`;
    case 'trainTokensPerLang': case 'evalTokensPerLang': return `; ${value} tokens of width ${PAPER_D} are ${gib(value * PAPER_D * 2)} of float16 activations per layer and language`;
    default: return '';
  }
}

/** Parses and validates a spec's YAML text; every problem carries file, line, column and key path. */
export function parseSpec(text: string, file: string): SpecResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => lc.linePos(offset);
  if (doc.errors.length > 0) {
    return { ok: false, issues: doc.errors.map((e) => { const p = at(e.pos[0]); return { file, line: p.line, column: p.col, path: '', message: e.message.split('\n')[0] ?? e.message }; }) };
  }
  const data = doc.toJS() as unknown;
  if (validate(data)) {
    const spec = data as ExperimentSpec;
    // k <= n, which the schema cannot say: TopK of more latents than the SAE has.
    const over = Object.entries(spec.profiles).filter(([, p]) => p.sae.k > p.sae.n).map(([name, p]): SpecIssue => {
      const pos = at(nodeAt(doc.contents as Node | null, ['profiles', name, 'sae', 'k'])?.range?.[0] ?? 0);
      return { file, line: pos.line, column: pos.col, path: `profiles.${name}.sae.k`, message: `k = ${p.sae.k} exceeds n = ${p.sae.n}: TopK cannot keep more latents than the SAE has` };
    });
    return over.length ? { ok: false, issues: over } : { ok: true, spec };
  }
  const issues = (validate.errors ?? []).map((e) => {
    const segs = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const extra = e.keyword === 'additionalProperties' ? String((e.params as { additionalProperty: string }).additionalProperty) : null;
    const node = nodeAt(doc.contents as Node | null, extra ? [...segs, extra] : segs, extra !== null);
    const p = at(node?.range?.[0] ?? 0);
    const path = [...segs, ...(extra ? [extra] : [])].join('.') || '(root)';
    const limit = e.keyword === 'maximum' ? (e.params as { limit: number }).limit : null;
    const msg = limit !== null ? `${String(e.data)} exceeds the limit ${limit}${memoryEstimate(segs, Number(e.data), (data as { profiles?: Record<string, unknown> }).profiles?.[segs[1] ?? ''])}`
      : e.keyword === 'additionalProperties' ? `unknown key '${extra}'` : e.keyword === 'enum' ? `${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})` : (e.message ?? e.keyword);
    return { file, line: p.line, column: p.col, path, message: msg };
  });
  return { ok: false, issues };
}

export function readSpec(file: string): SpecResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, issues: [{ file, line: 0, column: 0, path: '', message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})` }] };
  }
  const r = parseSpec(text, file);
  if (!r.ok) return r;
  // A spec's pair and id name its results, report, figures and golden: one whose id (or pair) disagrees with
  // its path would overwrite another experiment's files, so it is refused before anything is written.
  const want = { pair: basename(dirname(resolve(file))), id: basename(file).replace(/\.ya?ml$/, '') };
  const issues: SpecIssue[] = [];
  for (const key of ['pair', 'id'] as const) {
    if (r.spec[key] === want[key]) continue;
    const line = text.split('\n').findIndex((l) => l.startsWith(`${key}:`)) + 1;
    issues.push({ file, line, column: line > 0 ? 1 : 0, path: key, message: `'${r.spec[key]}' does not match the file's path, which says ${key} '${want[key]}'; a spec's ${key} must equal its path (experiments/<pair>/<id>.yaml): rename the file or correct the ${key}` });
  }
  return issues.length ? { ok: false, issues } : r;
}

export function formatIssue(i: SpecIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}
