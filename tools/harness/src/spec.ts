import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
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
}

/** One problem in a spec file, located by line, column and key path. */
export interface SpecIssue { readonly file: string; readonly line: number; readonly column: number; readonly path: string; readonly message: string }

export type SpecResult = { readonly ok: true; readonly spec: ExperimentSpec } | { readonly ok: false; readonly issues: readonly SpecIssue[] };

// strictRequired off: 'anyOf: [{required: [atol]}, {required: [rtol]}]' names properties defined one level up.
const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictRequired: false });
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

/** Parses and validates a spec's YAML text; every problem carries file, line, column and key path. */
export function parseSpec(text: string, file: string): SpecResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => lc.linePos(offset);
  if (doc.errors.length > 0) {
    return { ok: false, issues: doc.errors.map((e) => { const p = at(e.pos[0]); return { file, line: p.line, column: p.col, path: '', message: e.message.split('\n')[0] ?? e.message }; }) };
  }
  const data = doc.toJS() as unknown;
  if (validate(data)) return { ok: true, spec: data as ExperimentSpec };
  const issues = (validate.errors ?? []).map((e) => {
    const segs = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const extra = e.keyword === 'additionalProperties' ? String((e.params as { additionalProperty: string }).additionalProperty) : null;
    const node = nodeAt(doc.contents as Node | null, extra ? [...segs, extra] : segs, extra !== null);
    const p = at(node?.range?.[0] ?? 0);
    const path = [...segs, ...(extra ? [extra] : [])].join('.') || '(root)';
    const msg = e.keyword === 'additionalProperties' ? `unknown key '${extra}'` : e.keyword === 'enum' ? `${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})` : (e.message ?? e.keyword);
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
  return parseSpec(text, file);
}

export function formatIssue(i: SpecIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}
