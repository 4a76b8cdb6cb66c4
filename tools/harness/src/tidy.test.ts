import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tidyCsv, tidyRows } from './tidy.ts';

test('feature-dynamics keys split into checkpoint, layer and metric', () => {
  const rows = tidyRows(
    {
      'step-000024@L2/shares/mixed': 0.5,
      'step-000001@L0/fvu': 0.25,
      'step-000001@L0/monosemanticityByClass/second': null,
    },
    { pair: 'en-ja', spec: 'figure3', profile: 'smoke', size: 'xs' },
  );
  assert.equal(rows[0], {
    pair: 'en-ja',
    spec: 'figure3',
    profile: 'smoke',
    size: 'xs',
    checkpoint: 24,
    layer: 2,
    setting: null,
    metric: 'shares/mixed',
    value: 0.5,
  });
  assert.is(rows[2]?.value, null);
  assert.is(
    tidyCsv(rows),
    'pair,spec,profile,size,checkpoint,layer,setting,metric,value\nen-ja,figure3,smoke,xs,24,2,,shares/mixed,0.5\nen-ja,figure3,smoke,xs,1,0,,fvu,0.25\nen-ja,figure3,smoke,xs,1,0,,monosemanticityByClass/second,\n',
  );
});

test('the random-init baseline is checkpoint 0 of its layer, told apart by its setting', () => {
  const [row] = tidyRows({ 'random-init@L3/shares/mixed': 0.6 }, { pair: 'en-ja', spec: 'figure3', profile: 'smoke' });
  assert.equal(row, {
    pair: 'en-ja',
    spec: 'figure3',
    profile: 'smoke',
    size: null,
    checkpoint: 0,
    layer: 3,
    setting: 'random-init',
    metric: 'shares/mixed',
    value: 0.6,
  });
});

test('sae-sizes keys carry the size; intervention keys the setting, with the fixed checkpoint and layer', () => {
  assert.equal(tidyRows({ 'xxs/bestLr': 0.004 }, { pair: 'en-ja', spec: 'table2', profile: 'smoke' })[0], {
    pair: 'en-ja',
    spec: 'table2',
    profile: 'smoke',
    size: 'xxs',
    checkpoint: null,
    layer: null,
    setting: null,
    metric: 'bestLr',
    value: 0.004,
  });
  const iv = tidyRows(
    { 'alpha-0.1_n-12/none/ppl/en/mean': 210.5, classCounts: 3 },
    { pair: 'en-ja', spec: 'table1', profile: 'smoke', size: 'xs', checkpoint: 4, layer: 1 },
  );
  assert.equal(
    [iv[0]?.setting, iv[0]?.metric, iv[0]?.checkpoint, iv[0]?.layer],
    ['alpha-0.1_n-12', 'none/ppl/en/mean', 4, 1],
  );
  assert.equal([iv[1]?.setting, iv[1]?.metric], [null, 'classCounts']);
});

test('CSV cells with commas or quotes are quoted', () => {
  assert.ok(
    tidyCsv(tidyRows({ 'a,"b"': 1 }, { pair: 'p', spec: 's', profile: 'x', size: 'm' })).endsWith(
      '\np,s,x,m,,,,"a,""b""",1\n',
    ),
  );
});

test.run();
