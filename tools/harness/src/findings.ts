// The paper's findings as checks a spec declares (issue "Reproducible on any machine"): each rule reads a
// run's flattened metrics (run.ts metricsOf / interventionMetrics) and says whether the finding holds, with
// the numbers behind it. One registry: a new rule is one entry in FINDING_RULES, and the spec schema's
// `findings` items are built from it (schema.ts).

/** What a rule needs besides the run's own metrics: other specs' metrics of the same pair and profile. */
export interface FindingContext {
  readonly languages: readonly [string, string];
  /** Metrics of another spec's stored results (null when they are missing or of another spec version). */
  readonly metricsOf: (
    id: string,
  ) => { readonly metrics: Readonly<Record<string, number>>; readonly size: string } | { readonly missing: string };
  /** The model size this run resolved to. */
  readonly size: string;
}

export interface FindingOutcome {
  /** null: the finding could not be evaluated (an input missing), with the reason in `numbers`. */
  readonly holds: boolean | null;
  /** The numbers behind the verdict, one line. */
  readonly numbers: string;
}

export interface FindingDecl {
  readonly id: string;
  readonly rule: string;
  readonly claim: string;
  readonly [param: string]: unknown;
}

interface Rule {
  /** JSON Schema properties of the rule's parameters (besides id, rule, claim). */
  readonly params: Record<string, unknown>;
  readonly evaluate: (
    decl: FindingDecl,
    metrics: Readonly<Record<string, number>>,
    ctx: FindingContext,
  ) => FindingOutcome;
}

/** One (checkpoint, layer) point of a feature-dynamics run. */
interface Point {
  readonly step: number;
  readonly layer: number;
  readonly values: Record<string, number>;
}

export function dynamicsPoints(metrics: Readonly<Record<string, number>>): Point[] {
  const byKey = new Map<string, Point>();
  for (const [name, v] of Object.entries(metrics)) {
    const m = /^step-(\d+)@L(\d+)\/(.+)$/.exec(name);
    if (!m) continue;
    const key = `${m[1]}@${m[2]}`;
    let p = byKey.get(key);
    if (!p) {
      p = { step: Number(m[1]), layer: Number(m[2]), values: {} };
      byKey.set(key, p);
    }
    p.values[m[3] as string] = v;
  }
  return [...byKey.values()].sort((a, b) => a.layer - b.layer || a.step - b.step);
}

/** The authors' mid site: floor(L/2) of the sites 0..L (../shared/SPEC.md section 2); the only layer when there is one. */
function midLayer(layers: readonly number[]): number {
  if (layers.length === 1) return layers[0] as number;
  return Math.floor(Math.max(...layers) / 2);
}

/** z standard errors of the difference of two proportions over n1 and n2 items (pooled). */
function seDiff(p1: number, n1: number, p2: number, n2: number): number {
  const p = (p1 * n1 + p2 * n2) / (n1 + n2);
  return Math.sqrt(Math.max(0, p * (1 - p)) * (1 / n1 + 1 / n2));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const METRIC = {
  type: 'string',
  pattern: '^[^*]+$',
  description: "a metric under each point, e.g. 'shares/mixed'",
} as const;
const Z = {
  type: 'number',
  exclusiveMinimum: 0,
  maximum: 6,
  description: 'standard errors (over alive features) a fall or rise must exceed',
} as const;

function layerPoints(points: readonly Point[], layer: number | 'mid'): { layer: number; pts: Point[] } {
  const layers = [...new Set(points.map((p) => p.layer))];
  const l = layer === 'mid' ? midLayer(layers) : layer;
  return { layer: l, pts: points.filter((p) => p.layer === l).sort((a, b) => a.step - b.step) };
}

const dipAndRise: Rule = {
  params: { layer: { oneOf: [{ type: 'integer', minimum: 0 }, { const: 'mid' }] }, metric: METRIC, z: Z },
  evaluate(decl, metrics) {
    const metric = (decl.metric as string | undefined) ?? 'shares/mixed';
    const z = (decl.z as number | undefined) ?? 2;
    const { layer, pts } = layerPoints(dynamicsPoints(metrics), (decl.layer as number | 'mid' | undefined) ?? 'mid');
    const series = pts.filter((p) => Number.isFinite(p.values[metric]));
    if (series.length < 3)
      return {
        holds: null,
        numbers: `layer ${layer} has ${series.length} checkpoints with ${metric}; the rule needs 3 or more`,
      };
    const v = (p: Point) => p.values[metric] as number;
    const n = (p: Point) => p.values.alive ?? NaN;
    let lo = 0;
    series.forEach((p, i) => {
      if (v(p) < v(series[lo] as Point)) lo = i;
    });
    const first = series[0] as Point;
    const min = series[lo] as Point;
    const last = series.at(-1) as Point;
    const fall = v(first) - v(min);
    const rise = v(last) - v(min);
    const needFall = z * seDiff(v(first), n(first), v(min), n(min));
    const needRise = z * seDiff(v(last), n(last), v(min), n(min));
    const interior = lo > 0 && lo < series.length - 1;
    const holds = interior && fall > needFall && rise > needRise;
    return {
      holds,
      numbers: `layer ${layer}: ${pct(v(first))} at step ${first.step} -> minimum ${pct(v(min))} at step ${min.step}${interior ? '' : ' (an end point)'} -> ${pct(v(last))} at step ${last.step}; fall ${pct(fall)} (needs > ${pct(needFall)}), rise ${pct(rise)} (needs > ${pct(needRise)}, ${z} s.e. over alive features)`,
    };
  },
};

const midLayersPeak: Rule = {
  params: { metric: METRIC },
  evaluate(decl, metrics) {
    const metric = (decl.metric as string | undefined) ?? 'shares/mixed';
    const points = dynamicsPoints(metrics);
    const last = Math.max(...points.map((p) => p.step));
    const at = points
      .filter((p) => p.step === last && Number.isFinite(p.values[metric]))
      .sort((a, b) => a.layer - b.layer);
    if (at.length < 3)
      return {
        holds: null,
        numbers: `the last checkpoint has ${at.length} layers with ${metric}; the rule needs 3 or more`,
      };
    // Sites 0..L in three contiguous groups, sizes as equal as possible (the middle one the largest when uneven).
    const k = at.length;
    const a = Math.floor(k / 3);
    const b = k - Math.floor(k / 3);
    const groups = [at.slice(0, a), at.slice(a, b), at.slice(b)];
    const mean = (g: readonly Point[]) => g.reduce((s, p) => s + (p.values[metric] as number), 0) / g.length;
    const [lower, mid, upper] = groups.map(mean) as [number, number, number];
    const span = (g: readonly Point[]) => `${(g[0] as Point).layer}-${(g.at(-1) as Point).layer}`;
    return {
      holds: mid > lower && mid > upper,
      numbers: `step ${last}, mean ${metric}: layers ${span(groups[0] as Point[])} ${pct(lower)}, ${span(groups[1] as Point[])} ${pct(mid)}, ${span(groups[2] as Point[])} ${pct(upper)} (by layer: ${at.map((p) => `${p.layer} ${pct(p.values[metric] as number)}`).join(', ')})`,
    };
  },
};

const growsWithSize: Rule = {
  params: {
    specs: {
      type: 'array',
      minItems: 2,
      items: { type: 'string', pattern: '^(self|table[1-4]|figure([3-9]|1[1-4]))$' },
      description: 'feature-dynamics specs of the same pair, smallest model first (self: this spec)',
    },
    metric: METRIC,
  },
  evaluate(decl, metrics, ctx) {
    const metric = (decl.metric as string | undefined) ?? 'shares/mixed';
    const specs = decl.specs as readonly string[];
    const values: { size: string; v: number }[] = [];
    for (const spec of specs) {
      const got = spec === 'self' ? { metrics, size: ctx.size } : ctx.metricsOf(spec);
      if ('missing' in got) return { holds: null, numbers: got.missing };
      const s = { size: got.size, spec };
      const points = dynamicsPoints(got.metrics);
      if (points.length === 0) return { holds: null, numbers: `${spec} has no feature-dynamics points` };
      const last = Math.max(...points.map((p) => p.step));
      const { layer, pts } = layerPoints(
        points.filter((p) => p.step === last),
        'mid',
      );
      const v = pts[0]?.values[metric];
      if (v === undefined || !Number.isFinite(v))
        return { holds: null, numbers: `size ${s.size}: no ${metric} at layer ${layer} of step ${last}` };
      values.push({ size: s.size, v });
    }
    const increasing = values.every((x, i) => i === 0 || x.v > (values[i - 1] as { v: number }).v);
    return {
      holds: increasing,
      numbers:
        `mid layer, last checkpoint, ${metric}: ${values.map((x) => `${x.size} ${pct(x.v)}`).join(' < ')}`.replace(
          / < /g,
          increasing ? ' < ' : ', ',
        ),
    };
  },
};

const ownLanguageHelps: Rule = {
  params: {},
  evaluate(_decl, metrics, ctx) {
    const settings = [
      ...new Set(
        Object.keys(metrics)
          .map((k) => /^(alpha-[^/]+_n-\d+)\//.exec(k)?.[1])
          .filter((x): x is string => x !== undefined),
      ),
    ].sort();
    if (settings.length === 0) return { holds: null, numbers: 'no intervention settings in the results' };
    const [l1, l2] = ctx.languages;
    // Rows are read from the settings' metrics only (not, e.g., fullModel/...).
    const rowKeys = Object.keys(metrics).filter((k) => /^alpha-[^/]+_n-\d+\//.test(k));
    const names = [
      ...new Set(
        rowKeys
          .map((k) => k.split('/')[1])
          .filter((x): x is string => x !== undefined && x !== 'none' && x !== 'Bilingual'),
      ),
    ];
    if (names.length !== 2)
      return {
        holds: null,
        numbers: `expected two language rows beside none and Bilingual, found ${names.join(', ') || 'none'}`,
      };
    // Rows are written first language first (libs/intervention/src/table.ts).
    const order = rowKeys.map((k) => k.split('/')[1]);
    const [r1, r2] = [...names].sort((a, b) => order.indexOf(a) - order.indexOf(b)) as [string, string];
    let holds = true;
    const lines: string[] = [];
    for (const s of settings) {
      const ch = (row: string, lang: string) => metrics[`${s}/${row}/pplChange/${lang}`] ?? NaN;
      const own1 = ch(r1, l1) < ch(r2, l1);
      const own2 = ch(r2, l2) < ch(r1, l2);
      const both = ch('Bilingual', l1) < 0 && ch('Bilingual', l2) < 0;
      if (!(own1 && own2 && both)) holds = false;
      const f = (x: number) => `${(x * 100).toFixed(2)}%`;
      lines.push(
        `${s}: ${l1} ppl ${r1} ${f(ch(r1, l1))} vs ${r2} ${f(ch(r2, l1))}${own1 ? '' : ' (no)'}; ${l2} ppl ${r2} ${f(ch(r2, l2))} vs ${r1} ${f(ch(r1, l2))}${own2 ? '' : ' (no)'}; Bilingual ${l1} ${f(ch('Bilingual', l1))}, ${l2} ${f(ch('Bilingual', l2))}${both ? '' : ' (no)'}`,
      );
    }
    if (!settings.every((s) => Number.isFinite(metrics[`${s}/${r1}/pplChange/${l1}`])))
      return { holds: null, numbers: `no pplChange metrics for ${r1}/${l1}` };
    return { holds, numbers: lines.join('; ') };
  },
};

/** The rules a spec's `findings` may name. */
/**
 * The paper's translation claim: bilingual features help translation more than either language's, read as the
 * reference translation's perplexity given the prompt (refPplChange, intervention.referencePerplexity): in every
 * setting and both directions the Bilingual row lowers it more than each monolingual row does.
 */
const bilingualHelpsTranslation: Rule = {
  params: {},
  evaluate(_decl, metrics) {
    const keys = Object.keys(metrics).filter((k) => /^alpha-[^/]+_n-\d+\/[^/]+\/refPplChange\//.test(k));
    if (keys.length === 0)
      return { holds: null, numbers: 'no refPplChange metrics (intervention.referencePerplexity is off)' };
    const settings = [...new Set(keys.map((k) => k.split('/')[0] as string))].sort();
    const directions = [...new Set(keys.map((k) => k.split('/')[3] as string))].sort();
    const rows = [...new Set(keys.map((k) => k.split('/')[1] as string))].filter((r) => r !== 'Bilingual');
    let holds = true;
    const lines: string[] = [];
    const f = (x: number) => `${(x * 100).toFixed(2)}%`;
    for (const s of settings)
      for (const d of directions) {
        const ch = (row: string) => metrics[`${s}/${row}/refPplChange/${d}`] ?? Number.NaN;
        const bil = ch('Bilingual');
        const ok = Number.isFinite(bil) && rows.every((r) => bil < ch(r));
        if (!ok) holds = false;
        lines.push(
          `${s} ${d}: Bilingual ${f(bil)} vs ${rows.map((r) => `${r} ${f(ch(r))}`).join(', ')}${ok ? '' : ' (no)'}`,
        );
      }
    return { holds, numbers: lines.join('; ') };
  },
};

export const FINDING_RULES: Readonly<Record<string, Rule>> = {
  'dip-and-rise': dipAndRise,
  'mid-layers-peak': midLayersPeak,
  'grows-with-size': growsWithSize,
  'own-language-helps': ownLanguageHelps,
  'bilingual-helps-translation': bilingualHelpsTranslation,
};

/** JSON Schema of one `findings` item: one branch per rule, its parameters closed. */
export function findingItemSchema(): Record<string, unknown> {
  return {
    oneOf: Object.entries(FINDING_RULES).map(([name, rule]) => ({
      type: 'object',
      additionalProperties: false,
      required: ['id', 'rule', 'claim'],
      properties: {
        id: { type: 'string', pattern: '^[a-z0-9-]+$' },
        rule: { const: name },
        claim: { type: 'string', minLength: 1 },
        ...rule.params,
      },
    })),
  };
}

export interface FindingResult extends FindingOutcome {
  readonly id: string;
  readonly rule: string;
  readonly claim: string;
}

export function evaluateFindings(
  decls: readonly FindingDecl[],
  metrics: Readonly<Record<string, number>>,
  ctx: FindingContext,
): FindingResult[] {
  return decls.map((d) => {
    const rule = FINDING_RULES[d.rule];
    if (!rule) throw new Error(`unknown finding rule '${d.rule}' (known: ${Object.keys(FINDING_RULES).join(', ')})`);
    return { id: d.id, rule: d.rule, claim: d.claim, ...rule.evaluate(d, metrics, ctx) };
  });
}

export const verdict = (h: boolean | null): string => (h === null ? 'not evaluated' : h ? 'holds' : 'not reproduced');

/** The findings section of a report. */
export function findingsMarkdown(
  results: readonly FindingResult[],
  golden?: Readonly<Record<string, boolean>>,
): string {
  if (results.length === 0) return '';
  const rows = results.map(
    (r) =>
      `| ${r.id} | ${r.claim} | **${verdict(r.holds)}** | ${golden && r.id in golden ? verdict(golden[r.id] as boolean) : '-'} | ${r.numbers.replace(/\|/g, '/')} |`,
  );
  return [
    '## Findings',
    '',
    "The paper's claims as this spec declares them (`findings` in the spec; rules in tools/harness/src/findings.ts), evaluated on this run. A finding that does not hold is reported as not reproduced.",
    '',
    '| finding | claim | this run | golden | numbers |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
