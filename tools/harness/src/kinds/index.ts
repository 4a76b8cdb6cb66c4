// The registry of spec kinds: a new kind is one module (its run, metrics and report) and one entry here; the
// spec schema's `kind` enum (schema.ts) and run.ts's dispatch both read it.
import type { Progress } from '@saetrace/engine';
import type { GoldenRow } from '../golden.ts';
import type { ExperimentSpec, ProfileName, ProfileSpec } from '../spec.ts';
import { featureDynamics } from './feature-dynamics.ts';
import { dynamicsMetrics, writeDynamicsReport } from './feature-dynamics-report.ts';
import { interventionExperiment } from './intervention.ts';
import { interventionMetrics, writeInterventionReport } from './intervention-report.ts';
import { saeSizes } from './sae-sizes.ts';
import { sizesMetrics, writeSizesReport } from './sae-sizes-report.ts';

export interface RunOptions {
  readonly log: (s: string) => void;
  readonly progress?: Progress;
}

/** What a report writer gets besides the result. */
export interface ReportInput {
  readonly spec: ExperimentSpec;
  readonly profile: ProfileName;
  readonly rows: readonly GoldenRow[];
  readonly status: string;
  readonly prov: Record<string, unknown>;
  /** The findings section (markdown), empty when the spec declares none. */
  readonly findings: string;
}

/** One kind of experiment: how it runs, what it measures (flat metrics), where its tidy rows sit, its report. */
export interface SpecKind<R> {
  readonly run: (spec: ExperimentSpec, p: ProfileSpec, options: RunOptions) => Promise<R>;
  readonly metrics: (r: R) => Record<string, number>;
  /** Columns of the tidy CSV fixed for the whole result (size, checkpoint, layer where they are one). */
  readonly where: (r: R) => Readonly<Record<string, string | number>>;
  /** The model size the result is about ('' when it spans sizes). */
  readonly size: (r: R) => string;
  readonly timings: (r: R) => Readonly<Record<string, number>> | null;
  readonly report: (r: R, input: ReportInput) => Promise<string>;
}

/** A kind with its result type erased, as the registry holds it. */
export interface AnyKind {
  /** Runs the spec and returns everything run.ts needs from the result. */
  readonly execute: (spec: ExperimentSpec, p: ProfileSpec, options: RunOptions) => Promise<KindOutput>;
}

export interface KindOutput {
  readonly metrics: Record<string, number>;
  readonly where: Readonly<Record<string, string | number>>;
  readonly size: string;
  readonly timings: Readonly<Record<string, number>> | null;
  readonly report: (input: ReportInput) => Promise<string>;
}

function kind<R>(k: SpecKind<R>): AnyKind {
  return {
    async execute(spec, p, options) {
      const r = await k.run(spec, p, options);
      return {
        metrics: k.metrics(r),
        where: k.where(r),
        size: k.size(r),
        timings: k.timings(r),
        report: (input) => k.report(r, input),
      };
    },
  };
}

export const SPEC_KINDS = {
  'feature-dynamics': kind({
    run: featureDynamics,
    metrics: dynamicsMetrics,
    where: (r) => ({ size: r.size }),
    size: (r) => r.size,
    timings: (r) => r.timings,
    report: (r, i) => writeDynamicsReport(i.spec, i.profile, r, i.rows, i.status, i.prov, i.findings),
  }),
  intervention: kind({
    run: interventionExperiment,
    metrics: interventionMetrics,
    where: (r) => ({ size: r.size, checkpoint: r.midStep, layer: r.layer }),
    size: (r) => r.size,
    timings: (r) => r.timings,
    report: (r, i) => writeInterventionReport(i.spec, i.profile, r, i.rows, i.status, i.prov, i.findings),
  }),
  'sae-sizes': kind({
    run: saeSizes,
    metrics: sizesMetrics,
    where: () => ({}),
    size: () => '',
    timings: () => null,
    report: (r, i) => writeSizesReport(i.spec, i.profile, r, i.rows, i.status, i.prov, i.findings),
  }),
} as const satisfies Record<string, AnyKind>;

export type KindName = keyof typeof SPEC_KINDS;
export const KIND_NAMES = Object.keys(SPEC_KINDS) as KindName[];
