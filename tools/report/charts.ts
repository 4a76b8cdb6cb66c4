import * as vega from 'vega';
import * as vl from 'vega-lite';

export interface Point {
  readonly x: number;
  readonly y: number;
  readonly series: string;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  readonly width?: number;
  readonly height?: number;
}

async function render(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The fields every chart shares: title, size, background and the data. */
function frame(points: readonly Point[], o: LineChartOptions) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 480,
    height: o.height ?? 280,
    background: 'white',
    data: { values: points.map((p) => ({ ...p })) },
  } as const;
}

function xAxis(o: LineChartOptions) {
  return {
    field: 'x',
    type: 'quantitative',
    title: o.xTitle,
    scale: o.xLog ? { type: 'log', nice: false } : { zero: false, nice: false },
  } as const;
}

const seriesColor = { field: 'series', type: 'nominal', title: null } as const;

/** A multi-series line chart as SVG, drawn headless (no browser, no canvas). */
export async function renderLineChart(points: readonly Point[], o: LineChartOptions): Promise<string> {
  if (points.length === 0) throw new RangeError(`renderLineChart '${o.title}': no points`);
  return render({
    ...frame(points, o),
    mark: { type: 'line', point: points.length <= 200 },
    encoding: {
      x: xAxis(o),
      y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: o.yLog ? { type: 'log' } : { zero: false } },
      color: seriesColor,
    },
  } as vl.TopLevelSpec);
}

/** A point with its band: y - sd .. y + sd, say. */
export interface BandPoint extends Point {
  readonly lo: number;
  readonly hi: number;
}

/** Lines with a shaded band around each (e.g. +- one run-to-run sd), as SVG. */
export async function renderBandChart(points: readonly BandPoint[], o: LineChartOptions): Promise<string> {
  if (points.length === 0) throw new RangeError(`renderBandChart '${o.title}': no points`);
  const x = xAxis(o);
  const color = seriesColor;
  return render({
    ...frame(points, o),
    layer: [
      {
        mark: { type: 'area', opacity: 0.2 },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: o.yTitle }, y2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'line', point: points.length <= 200 },
        encoding: { x, y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: { zero: false } }, color },
      },
    ],
  } as vl.TopLevelSpec);
}

/** Stacked shares (e.g. En / Ja / Mixed features) against x, as SVG. */
export async function renderStackedArea(points: readonly Point[], o: LineChartOptions): Promise<string> {
  if (points.length === 0) throw new RangeError(`renderStackedArea '${o.title}': no points`);
  return render({
    ...frame(points, o),
    mark: 'area',
    encoding: {
      x: xAxis(o),
      y: { field: 'y', type: 'quantitative', title: o.yTitle, stack: 'normalize' },
      color: seriesColor,
    },
  } as vl.TopLevelSpec);
}

/** One bar: its label on the category axis, its length, and its series (colour; stacked when labels repeat). */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly series: string;
}

export interface BarChartOptions {
  readonly title: string;
  readonly valueTitle: string;
  /** Bars of one label stack (e.g. shares summing to 1) instead of standing side by side. */
  readonly stack?: boolean;
  readonly width?: number;
}

/** Horizontal bars, labels top to bottom in the order given, as SVG. */
export async function renderBarChart(bars: readonly Bar[], o: BarChartOptions): Promise<string> {
  if (bars.length === 0) throw new RangeError(`renderBarChart '${o.title}': no bars`);
  const labels = [...new Set(bars.map((b) => b.label))];
  const rows = o.stack ? labels.length : bars.length;
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 420,
    height: Math.max(60, 18 * rows),
    background: 'white',
    data: { values: bars.map((b) => ({ ...b })) },
    mark: 'bar',
    encoding: {
      y: { field: 'label', type: 'nominal', title: null, sort: labels },
      x: { field: 'value', type: 'quantitative', title: o.valueTitle, stack: o.stack ? 'zero' : null },
      color: seriesColor,
      ...(o.stack ? {} : { yOffset: { field: 'series' } }),
    },
  } as vl.TopLevelSpec);
}
