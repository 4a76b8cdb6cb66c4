import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderBandChart, renderBarChart, renderLineChart, renderStackedArea } from './charts.ts';

test('line and stacked-area charts render to SVG with their titles and one path per series', async () => {
  const pts = [1, 10, 100].flatMap((x) => [
    { x, y: x / 10, series: 'a' },
    { x, y: 1 / x, series: 'b' },
  ]);
  const svg = await renderLineChart(pts, { title: 'Loss curve', xTitle: 'tokens', yTitle: 'loss', xLog: true });
  assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
  assert.match(svg, /Loss curve/);
  assert.ok((svg.match(/<path[^>]*aria-roledescription="line mark"/g) ?? []).length === 2, 'one line per series');
  const area = await renderStackedArea(pts, { title: 'Shares', xTitle: 'tokens', yTitle: 'share' });
  assert.match(area, /Shares/);
  await renderLineChart([], { title: 'empty', xTitle: 'x', yTitle: 'y' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /'empty': no points/),
  );
  await renderStackedArea([], { title: 'e2', xTitle: 'x', yTitle: 'y' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /no points/),
  );
});

test('a band chart draws one line and one shaded band per series, the band spanning lo..hi', async () => {
  const pts = [1, 10, 100].flatMap((x) => [
    { x, y: 0.5, lo: 0.4, hi: 0.6, series: 'Mixed' },
    { x, y: 0.2, lo: 0.15, hi: 0.25, series: 'EN' },
  ]);
  const svg = await renderBandChart(pts, { title: 'Shares +- sd', xTitle: 'tokens', yTitle: 'share', xLog: true });
  assert.match(svg, /Shares \+- sd/);
  assert.is((svg.match(/aria-roledescription="line mark"/g) ?? []).length, 2);
  assert.is((svg.match(/aria-roledescription="area mark"/g) ?? []).length, 2);
  await renderBandChart([], { title: 'e3', xTitle: 'x', yTitle: 'y' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /'e3': no points/),
  );
});

test('a bar chart draws one bar per entry, stacked or side by side, and labels every category', async () => {
  const bars = ['layer 2', 'layer 5'].flatMap((label) => [
    { label, value: 0.3, series: 'EN' },
    { label, value: 0.2, series: 'JA' },
    { label, value: 0.5, series: 'Mixed' },
  ]);
  const stacked = await renderBarChart(bars, { title: 'Shares by layer', valueTitle: 'share', stack: true });
  assert.match(stacked, /Shares by layer/);
  assert.is((stacked.match(/aria-roledescription="bar"/g) ?? []).length, 6);
  assert.match(stacked, /layer 5/);
  const side = await renderBarChart(bars.slice(0, 2), { title: 'Tokens', valueTitle: 'p(t | f)' });
  assert.is((side.match(/aria-roledescription="bar"/g) ?? []).length, 2);
  await renderBarChart([], { title: 'e4', valueTitle: 'v' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /'e4': no bars/),
  );
});

test.run();
