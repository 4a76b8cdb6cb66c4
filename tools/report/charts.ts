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
