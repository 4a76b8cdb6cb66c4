import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prose } from './prose.ts';

test('prose fills placeholders and refuses a missing or an unused value, naming the file', () => {
  const text = prose('dynamics-header', {
    experiment: 'experiments/figure3.yaml',
    pair: 'experiments/pairs/en-ja.yaml',
    version: 4,
    profile: 'smoke',
    size: 'xs',
    layers: '1',
    status: 'passed',
  });
  assert.match(
    text,
    /^Spec `experiments\/figure3\.yaml` for `experiments\/pairs\/en-ja\.yaml`, version 4, profile `smoke`; model xs, layers 1 /,
  );
  assert.not.match(text, /\{\{/);
  assert.throws(
    () => prose('dynamics-header', { experiment: 'x' }),
    /tools\/report\/prose\/dynamics-header\.md: no value for \{\{pair\}\}/,
  );
  assert.throws(
    () => prose('dynamics-columns', { extra: 1 }),
    /tools\/report\/prose\/dynamics-columns\.md: no placeholder for \{\{extra\}\}/,
  );
  assert.throws(() => prose('no-such-passage'), /ENOENT/);
});

test.run();
