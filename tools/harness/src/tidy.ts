// Results as a tidy table beside results.json: one row per (size, checkpoint, layer, setting, metric), so a
// notebook reads a run in one line (pandas.read_csv). The flat metric keys the harness writes are split here:
// "step-000024@L2/shares/mixed" (feature dynamics), "xs/bestLr" (SAE sizes), "alpha-0.1_n-12/none/ppl/en/mean"
// (intervention settings).

export const TIDY_COLUMNS = [
  'pair',
  'spec',
  'profile',
  'size',
  'checkpoint',
  'layer',
  'setting',
  'metric',
  'value',
] as const;
export type TidyRow = Record<(typeof TIDY_COLUMNS)[number], string | number | null>;

export interface TidyContext {
  readonly pair: string;
  readonly spec: string;
  readonly profile: string;
  /** The model size the run measured (feature dynamics, intervention); sae-sizes keys carry their own. */
  readonly size?: string;
  /** Fixed checkpoint step and layer of a run whose keys do not carry them (the intervention). */
  readonly checkpoint?: number;
  readonly layer?: number;
}

export function tidyRows(metrics: Readonly<Record<string, unknown>>, c: TidyContext): TidyRow[] {
  return Object.entries(metrics).map(([key, raw]) => {
    const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
    const row: TidyRow = {
      pair: c.pair,
      spec: c.spec,
      profile: c.profile,
      size: c.size ?? null,
      checkpoint: c.checkpoint ?? null,
      layer: c.layer ?? null,
      setting: null,
      metric: key,
      value,
    };
    const dyn = /^step-(\d+)@L(\d+)\/(.+)$/.exec(key);
    const init = /^random-init@L(\d+)\/(.+)$/.exec(key);
    const setting = /^(alpha-[^/]+)\/(.+)$/.exec(key);
    const sized = /^([^/]+)\/(.+)$/.exec(key);
    if (dyn) Object.assign(row, { checkpoint: Number(dyn[1]), layer: Number(dyn[2]), metric: dyn[3] });
    else if (init)
      Object.assign(row, { checkpoint: 0, layer: Number(init[1]), setting: 'random-init', metric: init[2] });
    else if (setting) Object.assign(row, { setting: setting[1], metric: setting[2] });
    else if (sized && c.size === undefined) Object.assign(row, { size: sized[1], metric: sized[2] });
    return row;
  });
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header; missing or non-finite values are empty cells. */
export function tidyCsv(rows: readonly TidyRow[]): string {
  return `${[TIDY_COLUMNS.join(','), ...rows.map((r) => TIDY_COLUMNS.map((k) => csvCell(r[k])).join(','))].join('\n')}\n`;
}
