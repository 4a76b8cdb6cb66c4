import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProgress, formatDuration, intervalFromEnv, progressMode } from './progress.ts';

function harness(mode: 'tty' | 'plain' | 'json' | 'quiet', intervalMs?: number) {
  let t = 0;
  let out = '';
  const p = createProgress({
    mode,
    write: (s) => {
      out += s;
    },
    now: () => t,
    ...(intervalMs !== undefined && { intervalMs }),
    barWidth: 10,
  });
  return {
    p,
    advance: (ms: number) => {
      t += ms;
    },
    out: () => out,
  };
}

test('plain: a plan line, at most one line per stage per interval with rate and ETA, then the summary', () => {
  const h = harness('plain');
  h.p.plan('train 2 models, extract 4 stores, train 4 SAEs');
  const s = h.p.stage('family s', 600, 'steps', { tokensPerUnit: 1000 });
  for (let step = 1; step <= 300; step++) {
    h.advance(200);
    s.update(step, { loss: 5.25 });
  } // 60 s, 2 lines due
  s.end('loss 5.25');
  const lines = h.out().trim().split('\n');
  assert.equal(lines[0], 'plan: train 2 models, extract 4 stores, train 4 SAEs');
  assert.is(lines.length, 4, h.out());
  assert.equal(lines[1], '[family s] 150/600 steps, 5000 tok/s, loss 5.250, ETA 1m30s');
  assert.match(lines[2] as string, /^\[family s\] 300\/600 steps, .*ETA 1m00s$/);
  assert.equal(lines[3], 'family s: loss 5.25 (1m00s)');
});

test('plain: a stage shorter than the interval prints only its summary; a resumed stage rates only new units', () => {
  const h = harness('plain');
  const s = h.p.stage('sae', 10, 'steps');
  for (let i = 1; i <= 9; i++) {
    h.advance(100);
    s.update(i);
  }
  s.end();
  assert.equal(h.out(), 'sae: 9/10 steps (1s)\n');
  const r = harness('plain', 1000);
  const st = r.p.stage('family m', 100, 'steps', { startAt: 50 });
  r.advance(1000);
  st.update(60);
  assert.match(r.out(), /60\/100 steps, 10\.0 steps\/s, ETA 4s/);
});

test('tty: one live line redrawn in place, cleared before notes and the summary', () => {
  const h = harness('tty', 0);
  const s = h.p.stage('extract', 4, 'docs');
  h.advance(1000);
  s.update(1, { layer: 2 });
  h.p.note('a result');
  h.advance(1000);
  s.update(2);
  s.end('4 stores');
  h.p.close();
  assert.equal(
    h.out(),
    'extract [###.......]  25% 1/4 docs, 1.0 docs/s, layer 2, ETA 3s' +
      '\r\x1b[2Ka result\nextract [#####.....]  50% 2/4 docs, 1.0 docs/s, ETA 2s\r\x1b[2Kextract: 4 stores (2s)\n',
  );
});

test('json: events as JSON lines; quiet prints nothing', () => {
  const h = harness('json', 0);
  h.p.plan('x');
  const s = h.p.stage('sae', 2, 'steps');
  h.advance(500);
  s.update(1, { fvu: 0.5 });
  s.end('fvu 0.5');
  const ev = h
    .out()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(
    ev.map((e) => e.event),
    ['plan', 'stage', 'update', 'end'],
  );
  assert.equal([ev[2]?.done, ev[2]?.eta, (ev[2]!.fields as Record<string, number>).fvu], [1, 0.5, 0.5]);
  const q = harness('quiet');
  q.p.plan('x');
  q.p.stage('a', 1, 'u').end('y');
  q.p.note('z');
  assert.is(q.out(), '');
});

test('progressMode and formatDuration', () => {
  assert.is(progressMode({}, true, {}), 'tty');
  assert.is(progressMode({}, true, { CI: 'true' }), 'plain');
  assert.is(progressMode({}, false, {}), 'plain');
  assert.is(progressMode({ quiet: true }, true, {}), 'quiet');
  assert.is(progressMode({ json: true, quiet: true }, true, {}), 'json');
  assert.equal(
    [formatDuration(5), formatDuration(125), formatDuration(7300), formatDuration(Infinity)],
    ['5s', '2m05s', '2h01m', '?'],
  );
  assert.equal([intervalFromEnv({}), intervalFromEnv({ SAETRACE_PROGRESS_SECONDS: '2.5' })], [undefined, 2500]);
  assert.throws(
    () => intervalFromEnv({ SAETRACE_PROGRESS_SECONDS: 'often' }),
    /SAETRACE_PROGRESS_SECONDS must be a number of seconds >= 0, got 'often'/,
  );
});

test.run();
