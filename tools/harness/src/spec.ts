import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { FamilyProfile } from '@saetrace/lm';
import type { KindName } from './kinds/index.ts';
import type { FindingDecl } from './findings.ts';
import { EXPERIMENT_SCHEMA, MERGED_PROFILES_SCHEMA, PAIR_SCHEMA } from './schema.ts';

/** The name of an embedded family definition (libs/lm/src/zoo/family.ts). */
export type FamilyName = FamilyProfile['name'];

export type ProfileName = 'smoke' | 'default' | 'paper';

/** Which of a model's checkpoints a profile analyses (ProfileSpec.checkpoints). */
export type CheckpointChoice = 'all' | readonly number[] | { readonly saved: readonly number[] };

/** How many checkpoints a choice names, given how many the model saved. */
export function checkpointCount(c: CheckpointChoice, saved: number): number {
  return c === 'all' ? saved : 'saved' in c ? c.saved.length : c.length;
}

export interface ProfileSpec {
  readonly family:
    | { readonly zoo: FamilyName; readonly seed?: number }
    | { readonly paths: Readonly<Record<string, readonly { dir: string; tokens: number }[]>> };
  readonly size: string;
  readonly layers: readonly (number | 'mid' | 'all')[];
  /**
   * 'all', steps (a family's log-spaced steps differ between definitions), or positions among the model's saved
   * checkpoints, 1-based in training order (`{ saved: [1, 3, 5, 7, 9, 10] }`: every other of ten and the last, on any
   * family with ten).
   */
  readonly checkpoints: CheckpointChoice;
  /** Also measure the member before training (step 0, tools/harness/src/family.ts randomInitCheckpoint). */
  readonly randomInit?: boolean;
  readonly activations: { readonly trainTokensPerLang: number; readonly evalTokensPerLang: number };
  readonly sae: {
    readonly n: number;
    readonly k: number;
    readonly lr: number;
    readonly warmupSteps: number;
    readonly batchSize: number;
    readonly epochs: number;
    readonly precision?: 'fp32' | 'bf16';
  };
  readonly metrics: {
    readonly languageCut: number;
    /** A number, or a quantile of random token pairs' cosines on the embeddings (libs/metrics/src/cosine-cut.ts). */
    readonly cosineCut: number | { readonly randomPairQuantile: number };
    readonly clusterRule: 'greedy' | 'components';
    /** Alive features with fewer activating occurrences are left out of the shares (summarise). */
    readonly minOccurrences?: number;
  };
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
  /** Unit-norm decoded vectors, so every class adds the same norm (libs/intervention/src/types.ts; default false). */
  readonly unitDecode?: boolean;
  /** TopK among the masked features only (libs/intervention/src/types.ts; default false: mask after TopK). */
  readonly maskBeforeTopK?: boolean;
  /** Reference-conditional perplexity per direction beside chrF/BLEU, and the full model's scores (default false). */
  readonly referencePerplexity?: boolean;
}

/** A metric's tolerance: at least one of atol and rtol (the schema's anyOf). */
export type Tolerance = ToleranceFields & ({ readonly atol: number } | { readonly rtol: number });

export interface ToleranceFields {
  readonly atol?: number;
  readonly rtol?: number;
  readonly side?: 'both' | 'higher-is-better' | 'lower-is-better';
  /**
   * The metric is a proportion over `count` items (a metric under the same first path segment, e.g. 'alive'
   * for 'step-000058@L3/shares/second'). The allowance is widened to z standard errors of the difference of
   * two such proportions, sqrt(p(1-p)(1/n_expected + 1/n_got)) at the pooled p, when that exceeds atol + rtol.
   */
  readonly proportionOf?: { readonly count: string; readonly z: number };
  /**
   * Derived from measured spread: where the profile has a spread summary (reports/spread/<pair>/<id>.<profile>.json,
   * tools/harness/src/spread.ts), the allowance is k times the metric's sd over its runs, at least `floor`, and
   * atol / rtol / proportionOf are not used; without one they are.
   */
  readonly spread?: { readonly k: number; readonly floor: number };
}

/** An experiment file (experiments/<id>.yaml): one paper table or figure, for any language pair. */
export interface ExperimentFile {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly kind: KindName;
  readonly profiles: Readonly<Record<'smoke' | 'default', ProfileSpec>> & {
    readonly paper: Omit<ProfileSpec, 'family'> & Partial<Pick<ProfileSpec, 'family'>>;
  };
  readonly golden: Readonly<Record<string, Tolerance>>;
  readonly findings?: readonly FindingDecl[];
  /** Feature lineage in the report, at this decoder-cosine threshold. */
  readonly lineage?: { readonly threshold: number };
}

/** A language pair file (experiments/pairs/<pair>.yaml). */
export interface PairSpec {
  readonly pair: string;
  readonly languages: readonly [string, string];
  /** The paper profile's checkpoints for this pair (absent: the pair has no paper profile). */
  readonly paper?: {
    readonly family: { readonly paths: Readonly<Record<string, readonly { dir: string; tokens: number }[]>> };
  };
  /** The Unicode scripts of each language (tools/harness/src/scripts.ts has the defaults). */
  readonly scripts?: Readonly<Record<string, readonly string[]>>;
  /**
   * The embedded family used in place of a profile's own, by the family's name: a pair moves to a new definition
   * of a family (default-2) once its goldens are re-recorded on it, while other pairs keep theirs.
   */
  readonly families?: Readonly<Record<string, FamilyName>>;
  readonly overrides?: Readonly<
    Record<string, { readonly profiles: Readonly<Partial<Record<ProfileName, Record<string, unknown>>>> }>
  >;
}

/** One experiment for one pair, merged: what every run reads. */
export interface ExperimentSpec {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly kind: KindName;
  readonly pair: string;
  readonly languages: readonly [string, string];
  /** paper is absent when neither the experiment nor the pair names its checkpoints. */
  readonly profiles: Readonly<Record<'smoke' | 'default', ProfileSpec>> & { readonly paper?: ProfileSpec };
  readonly golden: Readonly<Record<string, Tolerance>>;
  /** The pair file's scripts per language, when it names them. */
  readonly scripts?: Readonly<Record<string, readonly string[]>>;
  /** The two files it was merged from. */
  readonly files: { readonly experiment: string; readonly pair: string };
  /** The paper's claims this spec checks on every run; the golden records which hold. */
  readonly findings?: readonly FindingDecl[];
  /** Feature lineage in the report, at this decoder-cosine threshold. */
  readonly lineage?: { readonly threshold: number };
}

/** One problem in a spec file, located by line, column and key path. */
export interface SpecIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

export type SpecResult =
  | { readonly ok: true; readonly spec: ExperimentSpec }
  | { readonly ok: false; readonly issues: readonly SpecIssue[] };
export type Parsed<T> =
  | { readonly ok: true; readonly spec: T }
  | { readonly ok: false; readonly issues: readonly SpecIssue[] };

// strictRequired off: 'anyOf: [{required: [atol]}, {required: [rtol]}]' names properties defined one level up.
const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictRequired: false, verbose: true });
const validateExperiment = ajv.compile(EXPERIMENT_SCHEMA);
const validatePair = ajv.compile(PAIR_SCHEMA);
const validateMerged = ajv.compile(MERGED_PROFILES_SCHEMA);

/** The YAML node at a key path; with `key`, the last segment's key node (where a misspelt key stands). */
function nodeAt(root: Node | null, segments: readonly string[], key = false): Node | null {
  let node: Node | null = root;
  for (const [i, s] of segments.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === s);
      if (!pair) break;
      node =
        key && i === segments.length - 1
          ? (pair.key as Node)
          : ((pair.value as Node | undefined) ?? (pair.key as Node));
    } else if (isSeq(node)) {
      node = (node.items[Number(s)] as Node | undefined) ?? node;
    } else break;
  }
  return node;
}

const GIB = 2 ** 30;
const gib = (bytes: number): string => `${(bytes / GIB).toPrecision(3)} GiB`;
/** Model width for estimates: LLM-jp-3 3.7B's, the largest the paper studies (../shared/SPEC.md section 1). */
const PAPER_D = 3072;

/** What a too-large size-like value would cost, for the message that refuses it (key path segments, the value, its profile). */
export function memoryEstimate(segs: readonly string[], value: number, profile: unknown): string {
  const sae = (profile as { sae?: { n?: number; batchSize?: number } } | undefined)?.sae;
  const key = segs.at(-1);
  if (segs.includes('intervention') && segs.includes('features')) return '';
  switch (key) {
    case 'n':
      return `; an SAE of n = ${value} at width d = ${PAPER_D} needs ${gib(value * PAPER_D * 4 * 6)} (encoder and decoder with both Adam moments, float32)`;
    case 'batchSize':
      return `; one step's dense encoder output of ${value} x n = ${sae?.n ?? '?'} needs ${sae?.n ? gib(value * sae.n * 4) : 'batchSize x n x 4 bytes'}`;
    case 'k':
      return `; the TopK indices and values of a batch of ${sae?.batchSize ?? '?'} need ${sae?.batchSize ? gib(value * sae.batchSize * 12) : 'batchSize x k x 12 bytes'}`;
    case 'trainTokensPerLang':
    case 'evalTokensPerLang':
      return `; ${value} tokens of width ${PAPER_D} are ${gib(value * PAPER_D * 2)} of float16 activations per layer and language`;
    default:
      return '';
  }
}

/** Parses and validates an experiment file's YAML text; every problem carries file, line, column and key path. */
export function parseSpec(text: string, file: string): Parsed<ExperimentFile> {
  return parseYaml<ExperimentFile>(text, file, validateExperiment, (spec, doc, at) =>
    kOverN(spec.profiles, doc, at, file, ['profiles']),
  );
}

/** Parses and validates a pair file's YAML text. */
export function parsePair(text: string, file: string): Parsed<PairSpec> {
  return parseYaml<PairSpec>(text, file, validatePair, () => []);
}

type At = (offset: number) => { line: number; col: number };

// k <= n, which the schema cannot say: TopK of more latents than the SAE has.
function kOverN(
  profiles: Readonly<Record<string, { sae?: { k: number; n: number } } | undefined>>,
  doc: Document.Parsed | null,
  at: At,
  file: string,
  prefix: readonly string[],
): SpecIssue[] {
  return Object.entries(profiles)
    .filter(([, p]) => p?.sae && p.sae.k > p.sae.n)
    .map(([name, p]): SpecIssue => {
      const pos = at(nodeAt((doc?.contents ?? null) as Node | null, [...prefix, name, 'sae', 'k'])?.range?.[0] ?? 0);
      return {
        file,
        line: pos.line,
        column: pos.col,
        path: [...prefix, name, 'sae', 'k'].join('.'),
        message: `k = ${p?.sae?.k} exceeds n = ${p?.sae?.n}: TopK cannot keep more latents than the SAE has`,
      };
    });
}

/** ajv errors as issues located in `doc` (key paths prefixed by `prefix` there). */
function ajvIssues(
  errors: readonly ErrorObject[],
  data: unknown,
  doc: Document.Parsed,
  at: At,
  file: string,
  prefix: readonly string[] = [],
): SpecIssue[] {
  return errors.map((e) => {
    const segs = [
      ...prefix,
      ...e.instancePath
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')),
    ];
    const extra =
      e.keyword === 'additionalProperties'
        ? String((e.params as { additionalProperty: string }).additionalProperty)
        : null;
    const node = nodeAt(doc.contents as Node | null, extra ? [...segs, extra] : segs, extra !== null);
    const p = at(node?.range?.[0] ?? 0);
    const path = [...segs, ...(extra ? [extra] : [])].join('.') || '(root)';
    const limit = e.keyword === 'maximum' ? (e.params as { limit: number }).limit : null;
    const profiles = (data as { profiles?: Record<string, unknown> }).profiles ?? (data as Record<string, unknown>);
    const msg =
      limit !== null
        ? `${String(e.data)} exceeds the limit ${limit}${memoryEstimate(segs, Number(e.data), profiles?.[segs[segs.indexOf('profiles') + 1] ?? segs[0] ?? ''] as unknown)}`
        : e.keyword === 'additionalProperties'
          ? `unknown key '${extra}'`
          : e.keyword === 'enum'
            ? `${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`
            : (e.message ?? e.keyword);
    return { file, line: p.line, column: p.col, path, message: msg };
  });
}

function parseDoc(text: string, file: string): { doc: Document.Parsed; at: At } | { issues: SpecIssue[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => lc.linePos(offset);
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => {
        const p = at(e.pos[0]);
        return { file, line: p.line, column: p.col, path: '', message: e.message.split('\n')[0] ?? e.message };
      }),
    };
  }
  return { doc, at };
}

function parseYaml<T>(
  text: string,
  file: string,
  validate: ValidateFunction,
  extra: (spec: T, doc: Document.Parsed, at: At) => SpecIssue[],
): Parsed<T> {
  const d = parseDoc(text, file);
  if ('issues' in d) return { ok: false, issues: d.issues };
  const data = d.doc.toJS() as unknown;
  if (!validate(data)) return { ok: false, issues: ajvIssues(validate.errors ?? [], data, d.doc, d.at, file) };
  const more = extra(data as T, d.doc, d.at);
  return more.length ? { ok: false, issues: more } : { ok: true, spec: data as T };
}

function readText(file: string): { text: string } | { issues: SpecIssue[] } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    return {
      issues: [
        {
          file,
          line: 0,
          column: 0,
          path: '',
          message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        },
      ],
    };
  }
}

/** A file's `key` must equal its file name: the names route results, reports, figures and goldens. */
function nameMatches(text: string, file: string, key: 'pair' | 'id', value: string, where: string): SpecIssue[] {
  const want = basename(file).replace(/\.ya?ml$/, '');
  if (value === want) return [];
  const line = text.split('\n').findIndex((l) => l.startsWith(`${key}:`)) + 1;
  return [
    {
      file,
      line,
      column: line > 0 ? 1 : 0,
      path: key,
      message: `'${value}' does not match the file's name, which says ${key} '${want}'; ${where}: rename the file or correct the ${key}`,
    },
  ];
}

const isPlain = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Objects merge key by key; anything else in `over` replaces what is in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Every pair with a file in experiments/pairs/. */
export function knownPairs(root = 'experiments'): string[] {
  const dir = join(root, 'pairs');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.replace(/\.yaml$/, ''))
        .sort()
    : [];
}

/** Every experiment with a file experiments/<id>.yaml. */
export function knownExperiments(root = 'experiments'): string[] {
  return existsSync(root)
    ? readdirSync(root)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.replace(/\.yaml$/, ''))
        .sort()
    : [];
}

/** The two files of `<pair>/<id>`. */
export function specFiles(name: string, root = 'experiments'): { experiment: string; pair: string } {
  const [pair, id] = name.split('/');
  return { experiment: join(root, `${id ?? ''}.yaml`), pair: join(root, 'pairs', `${pair ?? ''}.yaml`) };
}

/** Reads a pair file and checks it. */
export function readPair(file: string): Parsed<PairSpec> {
  const t = readText(file);
  if ('issues' in t) return { ok: false, issues: t.issues };
  const r = parsePair(t.text, file);
  if (!r.ok) return r;
  const issues = nameMatches(t.text, file, 'pair', r.spec.pair, 'a pair file must be experiments/pairs/<pair>.yaml');
  return issues.length ? { ok: false, issues } : r;
}

/**
 * Reads the spec `<pair>/<id>`: experiments/<id>.yaml with experiments/pairs/<pair>.yaml merged in (its
 * languages, its paper checkpoints where the experiment names none, and its overrides for this experiment),
 * each problem located in the file that holds it.
 */
export function readSpec(name: string, root = 'experiments'): SpecResult {
  if (!/^[^/]+\/[^/]+$/.test(name))
    return {
      ok: false,
      issues: [
        {
          file: name,
          line: 0,
          column: 0,
          path: '',
          message: `a spec is named <pair>/<id>, e.g. en-ja/figure3, got '${name}'`,
        },
      ],
    };
  const files = specFiles(name, root);
  const et = readText(files.experiment);
  const pr = readPair(files.pair);
  if ('issues' in et || !pr.ok)
    return { ok: false, issues: [...('issues' in et ? et.issues : []), ...(pr.ok ? [] : pr.issues)] };
  const er = parseSpec(et.text, files.experiment);
  if (!er.ok) return er;
  const idIssues = nameMatches(
    et.text,
    files.experiment,
    'id',
    er.spec.id,
    'an experiment file must be experiments/<id>.yaml',
  );
  if (idIssues.length) return { ok: false, issues: idIssues };
  const e = er.spec;
  const pair = pr.spec;
  const over = pair.overrides?.[e.id]?.profiles ?? {};
  const merged: Record<string, unknown> = {};
  for (const prof of ['smoke', 'default', 'paper'] as const) {
    let p = deepMerge(e.profiles[prof], over[prof]) as Record<string, unknown>;
    const fam = p.family as { zoo?: FamilyName } | undefined;
    const instead = fam?.zoo && pair.families?.[fam.zoo];
    if (fam && instead) p = { ...p, family: { ...fam, zoo: instead } };
    if (prof === 'paper' && p.family === undefined) {
      if (!pair.paper) continue;
      p = { family: pair.paper.family, ...p };
    }
    merged[prof] = p;
  }
  if (
    !validateMerged(merged) ||
    kOverN(merged as Record<string, { sae?: { k: number; n: number } }>, null, () => ({ line: 0, col: 0 }), '', [])
      .length
  ) {
    // Located in the pair file when the key is one its overrides set, else in the experiment file.
    const pairText = readText(files.pair);
    const pd = 'text' in pairText ? parseDoc(pairText.text, files.pair) : null;
    const ed = parseDoc(et.text, files.experiment);
    const issues = (validateMerged.errors ?? []).map((err) => {
      const segs = err.instancePath.split('/').slice(1);
      const inPair = segs.length > 1 && deepHas(over, segs);
      const d = inPair ? pd : ed;
      if (!d || 'issues' in d)
        return {
          file: inPair ? files.pair : files.experiment,
          line: 0,
          column: 0,
          path: segs.join('.'),
          message: err.message ?? err.keyword,
        };
      return ajvIssues(
        [err],
        { profiles: merged },
        d.doc,
        d.at,
        inPair ? files.pair : files.experiment,
        inPair ? ['overrides', e.id, 'profiles'] : ['profiles'],
      )[0] as SpecIssue;
    });
    const k = kOverN(
      merged as Record<string, { sae?: { k: number; n: number } }>,
      null,
      () => ({ line: 0, col: 0 }),
      files.pair,
      ['overrides', e.id, 'profiles'],
    );
    return {
      ok: false,
      issues: [...issues, ...k.map((i) => ({ ...i, message: `${i.message} (after ${files.pair}'s overrides)` }))],
    };
  }
  const spec: ExperimentSpec = {
    id: e.id,
    version: e.version,
    title: e.title,
    kind: e.kind,
    pair: pair.pair,
    languages: pair.languages,
    profiles: merged as unknown as ExperimentSpec['profiles'],
    golden: e.golden,
    ...(e.findings ? { findings: e.findings } : {}),
    ...(e.lineage ? { lineage: e.lineage } : {}),
    ...(pair.scripts ? { scripts: pair.scripts } : {}),
    files,
  };
  return { ok: true, spec };
}

function deepHas(x: unknown, segs: readonly string[]): boolean {
  let cur = x;
  for (const s of segs) {
    if (!isPlain(cur) || !(s in cur)) return false;
    cur = cur[s];
  }
  return true;
}

/** The profile to run, or an error that says where its checkpoints would go. */
/** The embedded family a profile uses (after its pair's `families`), or null for a profile of checkpoint paths. */
export function profileFamily(p: ProfileSpec): FamilyName | null {
  return 'zoo' in p.family ? p.family.zoo : null;
}

export function profileOf(spec: ExperimentSpec, profile: ProfileName): ProfileSpec {
  const p = spec.profiles[profile];
  if (!p)
    throw new Error(
      `${spec.pair}/${spec.id} has no ${profile} profile: neither ${spec.files.experiment} (profiles.${profile}.family) nor ${spec.files.pair} (paper.family.paths) names its checkpoints`,
    );
  return p;
}

export function formatIssue(i: SpecIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}
