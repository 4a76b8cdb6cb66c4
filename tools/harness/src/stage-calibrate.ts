// Throughput measured by committed runs: each provenance file (reports/<pair>/<id>.<profile>.provenance.json) holds
// the seconds its run spent extracting, training SAEs and measuring them, its threads and CPU; the spec and profile
// give the FLOPs of that work (stage-shape.ts counts, dry-run.ts per-job FLOPs), so FLOP/s per stage on a named CPU.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonRecord } from '@saetrace/engine';
import { extractWork, metricsWork, saeWork, thisMachine } from './dry-run.ts';
import { profileOf, readSpec, type ProfileName } from './spec.ts';
import type { RateKind, Rates } from './stage-cost.ts';
import { planShape } from './stage-shape.ts';

export interface RateSample {
  readonly file: string;
  readonly spec: string;
  readonly cpu: string;
  readonly threads: number;
  readonly kind: RateKind;
  readonly flops: number;
  readonly seconds: number;
  readonly flopsPerSecond: number;
}

interface Provenance {
  readonly specVersion?: number;
  readonly threads?: number;
  readonly timings?: Partial<Record<RateKind, number>> | null;
  readonly machine?: { readonly cpus?: string };
}

const KINDS: readonly RateKind[] = ['extract', 'sae', 'metrics'];

/** One sample per stage of every feature-dynamics run of `pair` at `profile` whose spec version is today's. */
export async function rateSamples(pair: string, profile: ProfileName, reportsDir = 'reports'): Promise<RateSample[]> {
  const dir = join(reportsDir, pair);
  if (!existsSync(dir)) return [];
  const out: RateSample[] = [];
  const suffix = `.${profile}.provenance.json`;
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()) {
    const file = join(dir, name);
    const prov = parseJsonRecord<Provenance>(readFileSync(file, 'utf8'), file, 'rerun the spec', () => null);
    const parsed = readSpec(`${pair}/${name.slice(0, -suffix.length)}`);
    if (!parsed.ok || parsed.spec.kind !== 'feature-dynamics' || !prov.timings) continue;
    // Another version of the spec may have done other work than today's plan counts.
    if (prov.specVersion !== parsed.spec.version) continue;
    const p = profileOf(parsed.spec, profile);
    const shape = await planShape(parsed.spec, p);
    if (!shape.measured || !shape.config) continue;
    const cks = shape.measured.length;
    const saes = cks * shape.layers.length;
    const d = shape.config.hiddenSize;
    const langs = parsed.spec.languages.length;
    const flops: Record<RateKind, number> = {
      extract: cks * extractWork(p, shape.config, shape.layers.length, langs).flops,
      sae: saes * saeWork(p, d, langs).flops,
      metrics: saes * metricsWork(p, d, langs).flops,
    };
    for (const kind of KINDS) {
      const seconds = prov.timings[kind];
      if (typeof seconds !== 'number' || !(seconds > 0)) continue;
      out.push({
        file,
        spec: parsed.spec.id,
        cpu: prov.machine?.cpus ?? 'unknown',
        threads: prov.threads ?? 0,
        kind,
        flops: flops[kind],
        seconds,
        flopsPerSecond: flops[kind] / seconds,
      });
    }
  }
  return out;
}

/**
 * The rates estimates use: of the CPU with the most measured seconds, per stage the sample of the longest run. A run
 * that found part of its work cached (another spec had extracted its stores) counts FLOPs it did not spend time on,
 * so it can only look faster than the CPU is; the longest run is the least affected (en-ja: figure5, the first spec
 * of `nx run experiments:all`, on a cache with no stores). Null without samples.
 */
export function chooseRates(samples: readonly RateSample[]): Rates | null {
  if (samples.length === 0) return null;
  const total = new Map<string, number>();
  for (const s of samples) total.set(s.cpu, (total.get(s.cpu) ?? 0) + s.seconds);
  const cpu = [...total].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] as string;
  const pick = (kind: RateKind) =>
    samples.filter((s) => s.cpu === cpu && s.kind === kind).sort((a, b) => b.seconds - a.seconds)[0];
  const chosen = KINDS.map(pick);
  if (chosen.some((s) => s === undefined)) return null;
  const [extract, sae, metrics] = chosen as [RateSample, RateSample, RateSample];
  const threads = extract.threads;
  const rate = (s: RateSample) => ({ flopsPerSecond: s.flopsPerSecond, source: s.file });
  return { cpu, threads, stages: { extract: rate(extract), sae: rate(sae), metrics: rate(metrics) } };
}

/** Without measured runs: the engine's GEMM rate at half (dry-run.ts thisMachine) for every stage, said so. */
export function fallbackRates(threads = 2): Rates {
  const m = thisMachine();
  const rate = { flopsPerSecond: m.peakFlops * m.utilisation, source: `no provenance timings: ${m.source}` };
  return { cpu: 'this machine', threads, stages: { extract: rate, sae: rate, metrics: rate } };
}

const memo = new Map<string, Promise<Rates>>();

/** The pair whose committed default runs calibrate every estimate (rates are of a CPU, not of a pair). */
export const CALIBRATION_PAIR = 'en-ja';

/** The rates for estimates: measured by the committed default runs of CALIBRATION_PAIR, else the fallback. */
export function calibration(pair = CALIBRATION_PAIR, reportsDir = 'reports'): Promise<Rates> {
  const key = `${process.cwd()}\n${pair}\n${reportsDir}`;
  let r = memo.get(key);
  if (!r) {
    r = rateSamples(pair, 'default', reportsDir).then((s) => chooseRates(s) ?? fallbackRates());
    memo.set(key, r);
  }
  return r;
}
