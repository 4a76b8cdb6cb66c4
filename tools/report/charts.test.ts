import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderLineChart, renderStackedArea } from './charts.ts';

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

test.run();
