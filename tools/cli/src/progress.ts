// The CLI's progress renderer. An own ~100 lines rather than a bar library: one live line redrawn with
// \r and "clear line", which notes and stage summaries must interleave with; a library would add a
// dependency for that and still need the non-TTY (throttled plain lines) and JSON modes written here.
import { noProgress, type Progress, type ProgressStage, type StageOptions } from '@saetrace/engine';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

export interface RendererOptions {
  readonly mode: ProgressMode;
  readonly write: (s: string) => void;
  readonly now?: () => number;
  /** Least milliseconds between two lines of one stage: plain 30 s, json 5 s, tty 250 ms by default. */
  readonly intervalMs?: number;
  /** Bar width in characters (tty). */
  readonly barWidth?: number;
}

/** SAETRACE_PROGRESS_SECONDS overrides the least time between two plain or JSON lines of a stage (default 30 s / 5 s). */
export function intervalFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.SAETRACE_PROGRESS_SECONDS;
  if (v === undefined || v === '') return undefined;
  const s = Number(v);
  if (!(s >= 0)) throw new RangeError(`SAETRACE_PROGRESS_SECONDS must be a number of seconds >= 0, got '${v}'`);
  return s * 1000;
}

/** tty when stderr is a terminal outside CI, plain lines otherwise; --json and --quiet win. */
export function progressMode(
  flags: { quiet?: boolean; json?: boolean },
  isTTY: boolean,
  env: NodeJS.ProcessEnv = process.env,
): ProgressMode {
  if (flags.json) return 'json';
  if (flags.quiet) return 'quiet';
  return isTTY && env.CI !== 'true' && env.TERM !== 'dumb' ? 'tty' : 'plain';
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function formatRate(x: number): string {
  return x >= 1e6
    ? `${(x / 1e6).toFixed(2)}M`
    : x >= 1e4
      ? `${(x / 1e3).toFixed(1)}k`
      : x >= 100
        ? x.toFixed(0)
        : x.toFixed(1);
}

function formatField(v: number | string): string {
  if (typeof v === 'string') return v;
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

interface Snapshot {
  readonly done: number;
  readonly total: number;
  readonly unit: string;
  readonly elapsed: number;
  readonly rate: number;
  readonly eta: number;
  readonly tokensPerSecond?: number;
  readonly fields: Readonly<Record<string, number | string>>;
}

function describe(s: Snapshot): string {
  const parts = [`${s.done}/${s.total} ${s.unit}`];
  if (s.tokensPerSecond !== undefined) parts.push(`${formatRate(s.tokensPerSecond)} tok/s`);
  else if (s.rate > 0) parts.push(`${formatRate(s.rate)} ${s.unit}/s`);
  for (const [k, v] of Object.entries(s.fields)) parts.push(`${k} ${formatField(v)}`);
  parts.push(`ETA ${s.done >= s.total ? '0s' : formatDuration(s.eta)}`);
  return parts.join(', ');
}

/** A Progress that renders to `write` in the given mode; call close() at the end of the run. */
export function createProgress(o: RendererOptions): Progress & { close(): void } {
  if (o.mode === 'quiet') return { ...noProgress, close() {} };
  const now = o.now ?? (() => performance.now());
  const interval = o.intervalMs ?? (o.mode === 'plain' ? 30_000 : o.mode === 'json' ? 5_000 : 250);
  if (!(interval >= 0)) throw new RangeError(`progress interval must be >= 0 ms, got ${interval}`);
  const width = o.barWidth ?? 24;
  let live = ''; // tty: the line currently drawn
  const clear = (): void => {
    if (live) {
      o.write('\r\x1b[2K');
      live = '';
    }
  };
  const line = (s: string): void => {
    clear();
    o.write(`${s}\n`);
  };
  const json = (v: Record<string, unknown>): void => o.write(`${JSON.stringify(v)}\n`);
  return {
    plan(text) {
      if (o.mode === 'json') json({ event: 'plan', text });
      else line(`plan: ${text}`);
    },
    note(text) {
      if (o.mode === 'json') json({ event: 'note', text });
      else line(text);
    },
    close() {
      clear();
    },
    stage(name: string, total: number, unit: string, options: StageOptions = {}): ProgressStage {
      const t0 = now();
      const start = options.startAt ?? 0;
      let last = -Infinity;
      let ended = false;
      let latest: Snapshot | undefined;
      const snap = (done: number, fields: Readonly<Record<string, number | string>>): Snapshot => {
        const elapsed = (now() - t0) / 1000;
        const rate = elapsed > 0 ? (done - start) / elapsed : 0;
        return {
          done,
          total,
          unit,
          elapsed,
          rate,
          eta: rate > 0 ? (total - done) / rate : Infinity,
          fields,
          ...(options.tokensPerUnit !== undefined && { tokensPerSecond: rate * options.tokensPerUnit }),
        };
      };
      if (o.mode === 'json') json({ event: 'stage', name, total, unit });
      return {
        update(done, fields = {}) {
          if (ended) return;
          latest = snap(done, fields);
          const t = now();
          // plain and json: the first line after one interval, not at once, so short stages print only their summary.
          if (o.mode !== 'tty' && last === -Infinity) last = t0;
          // A finished stage is redrawn on a TTY; elsewhere its summary line says it.
          if (t - last < interval && (o.mode !== 'tty' || done < total)) return;
          last = t;
          if (o.mode === 'json') {
            json({ event: 'update', name, ...latest, eta: Number.isFinite(latest.eta) ? latest.eta : null });
            return;
          }
          if (o.mode === 'plain') {
            line(`[${name}] ${describe(latest)}`);
            return;
          }
          const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
          const pct = total > 0 ? Math.floor((100 * done) / total) : 0;
          clear();
          live = `${name} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${describe(latest)}`;
          o.write(live);
        },
        end(summary) {
          if (ended) return;
          ended = true;
          const took = formatDuration((now() - t0) / 1000);
          const text = `${name}: ${summary ?? (latest ? `${latest.done}/${total} ${unit}` : 'done')} (${took})`;
          if (o.mode === 'json') json({ event: 'end', name, summary: summary ?? null, seconds: (now() - t0) / 1000 });
          else line(text);
        },
      };
    },
  };
}
