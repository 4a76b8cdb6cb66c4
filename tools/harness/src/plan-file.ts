// A sweep's plan on disk (`plan.json` in a Slurm run folder): the stage plans it was submitted with, the saetrace
// version that made them and a digest of both, so a job, `slurm status` or `slurm submit --resume` reading it can
// tell a plan of another version or one edited by hand from the one written, and refuse it naming the file.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SAETRACE_VERSION } from '@saetrace/activations';
import { writeFileAtomicSync } from '@saetrace/engine';
import type { ProfileName } from './spec.ts';
import type { PlanJob, PlanJobKind, StagePlan } from './stage-plan.ts';

export const PLAN_FORMAT = 'saetrace-plan/1';

export interface PlanFile {
  readonly format: typeof PLAN_FORMAT;
  readonly saetraceVersion: string;
  readonly profile: ProfileName;
  readonly plans: readonly StagePlan[];
}

/** A plan file that cannot be used, naming the file and what is wrong with it. */
export class PlanFileError extends Error {
  override readonly name = 'PlanFileError';
}

function digestOf(p: PlanFile): string {
  const body = { format: p.format, saetraceVersion: p.saetraceVersion, profile: p.profile, plans: p.plans };
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** Writes the plans atomically with this version and their digest. */
export function writePlanFile(path: string, profile: ProfileName, plans: readonly StagePlan[]): PlanFile {
  const file: PlanFile = { format: PLAN_FORMAT, saetraceVersion: SAETRACE_VERSION, profile, plans };
  writeFileAtomicSync(path, `${JSON.stringify({ ...file, digest: digestOf(file) }, null, 1)}\n`);
  return file;
}

const KINDS: readonly PlanJobKind[] = ['family', 'extract', 'sae', 'report'];

/** The first structural problem of a parsed plan file (a path into it and what was expected), or null. */
function shapeProblem(v: Record<string, unknown>): string | null {
  if (!Array.isArray(v.plans)) return 'plans: expected an array';
  for (const [i, plan] of (v.plans as unknown[]).entries()) {
    const p = plan as Partial<StagePlan> | null;
    if (typeof p?.spec !== 'string') return `plans[${i}].spec: expected a string`;
    if (!Array.isArray(p.jobs)) return `plans[${i}].jobs: expected an array`;
    for (const [j, job] of (p.jobs as unknown[]).entries()) {
      const at = `plans[${i}].jobs[${j}]`;
      const o = job as Partial<PlanJob> | null;
      if (typeof o?.id !== 'string') return `${at}.id: expected a string`;
      if (!KINDS.includes(o.kind as PlanJobKind)) return `${at}.kind: expected one of ${KINDS.join(', ')}`;
      if (!Array.isArray(o.inputs) || !o.inputs.every((x) => typeof x === 'string'))
        return `${at}.inputs: expected an array of job ids`;
      if (!Array.isArray(o.outputs)) return `${at}.outputs: expected an array`;
      for (const [k, out] of o.outputs.entries())
        if (!(out?.key === null || typeof out?.key === 'string'))
          return `${at}.outputs[${k}].key: expected a string or null`;
    }
  }
  return null;
}

/** Reads and checks a plan file: JSON, this format and version, the digest it was written with, the jobs' shape. */
export function readPlanFile(path: string): PlanFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PlanFileError(
      `${path}: cannot read the plan (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let v: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    v = parsed as Record<string, unknown>;
  } catch (e) {
    throw new PlanFileError(`${path}: not a plan file (${(e as Error).message})`);
  }
  if (v.format !== PLAN_FORMAT)
    throw new PlanFileError(`${path}: format is ${JSON.stringify(v.format)}, expected ${PLAN_FORMAT}`);
  if (v.saetraceVersion !== SAETRACE_VERSION)
    throw new PlanFileError(
      `${path}: made by saetrace ${String(v.saetraceVersion)}, this is ${SAETRACE_VERSION}; plan again (saetrace slurm submit)`,
    );
  const shape = shapeProblem(v);
  if (shape) throw new PlanFileError(`${path}: ${shape}`);
  const file = v as unknown as PlanFile & { digest?: unknown };
  if (file.digest !== digestOf(file))
    throw new PlanFileError(`${path}: its digest does not match its content (edited by hand or damaged); plan again`);
  return { format: file.format, saetraceVersion: file.saetraceVersion, profile: file.profile, plans: file.plans };
}

/** The plan of one spec in a plan file, or an error naming the file and the specs it holds. */
export function planOf(file: PlanFile, path: string, spec: string): StagePlan {
  const plan = file.plans.find((p) => p.spec === spec);
  if (!plan)
    throw new PlanFileError(`${path}: no plan of ${spec}; it holds ${file.plans.map((p) => p.spec).join(', ')}`);
  return plan;
}

/**
 * Whether a job of a stored plan is the job the code plans now: same kind, inputs and output keys (a key the stored
 * plan did not know yet, null, matches any). A mismatch means the code or the cache changed since the plan was made.
 */
export function sameJob(stored: PlanJob, now: PlanJob): boolean {
  if (stored.kind !== now.kind || stored.inputs.join('\n') !== now.inputs.join('\n')) return false;
  if (stored.outputs.length !== now.outputs.length) return false;
  return stored.outputs.every((o, i) => o.key === null || o.key === now.outputs[i]?.key);
}
