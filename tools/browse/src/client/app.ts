/// <reference lib="dom" />
// The feature browser's page: a hash router over the index, one SAE's feature table and one feature. Data
// files are scripts (data/<id>.js) that call window.saetraceData, so the site works from file:// offline.
import type {
  AliveFeature,
  EdgeSummary,
  FeatureData,
  LinkData,
  SaeData,
  SaeFile,
  SiteIndex,
  TextTables,
} from '../site-types.ts';

declare global {
  interface Window {
    saetraceData: (id: string, value: unknown) => void;
  }
}

/** A packed data file's value is its JSON, gzipped and base64-encoded (tools/browse/src/build.ts, dataScript). */
async function unpack(value: unknown): Promise<unknown> {
  if (typeof value !== 'string') return value;
  const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return JSON.parse(await new Response(stream).text());
}

const cache = new Map<string, Promise<unknown>>();
const waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
window.saetraceData = (id, value) => {
  const w = waiting.get(id);
  waiting.delete(id);
  if (w) unpack(value).then(w.resolve, w.reject);
};

function load<T>(id: string): Promise<T> {
  let p = cache.get(id);
  if (!p) {
    p = new Promise<unknown>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      const s = document.createElement('script');
      s.src = `data/${encodeURIComponent(id)}.js`;
      s.onerror = () => {
        cache.delete(id);
        reject(new Error(`data/${id}.js could not be loaded`));
      };
      document.head.appendChild(s);
    });
    cache.set(id, p);
  }
  return p as Promise<T>;
}

/** An SAE's file joined with its shared text tables (its own documents first). */
async function loadSae(id: string): Promise<SaeData> {
  const file = await load<SaeFile>(id);
  const text = await load<TextTables>(file.text);
  return { ...file, tokens: text.tokens, docs: file.docs ? { ...text.docs, ...file.docs } : text.docs };
}

type Child = Node | string | null | undefined | false;
function h(
  tag: string,
  attrs: Record<string, string | number | boolean | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === false) continue;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
const isAlive = (f: FeatureData): f is AliveFeature => f.cls !== 'dead';
const link = (href: string, text: string, attrs: Record<string, string> = {}) => h('a', { href, ...attrs }, text);
const saeHref = (id: string) => `#/sae/${encodeURIComponent(id)}`;
const featureHref = (id: string, f: number) => `#/sae/${encodeURIComponent(id)}/f/${f}`;

function classLabel(cls: string, langs: readonly string[]): string {
  if (cls === 'first') return langs[0] ?? 'first';
  if (cls === 'second') return langs[1] ?? 'second';
  return cls === 'mixed' ? 'Mixed' : cls;
}
const badge = (cls: string, langs: readonly string[]) => h('span', { class: `badge c-${cls}` }, classLabel(cls, langs));

function saeLabel(idx: SiteIndex, id: string): string {
  const s = idx.saes.find((x) => x.id === id);
  return s ? `${s.size} layer ${s.layer} step ${s.step}` : id;
}

/** A bar of the language shares with the numbers written on it (not colour alone). */
function langBar(p: readonly number[], langs: readonly string[]): HTMLElement {
  return h(
    'div',
    { class: 'langbar', role: 'img', 'aria-label': p.map((x, i) => `${langs[i]} ${pct(x)}`).join(', ') },
    ...p.map((x, i) =>
      h(
        'span',
        { class: `seg l${i}`, style: `width:${(x * 100).toFixed(2)}%`, title: `${langs[i]}: ${pct(x)}` },
        x >= 0.12 ? `${langs[i]} ${pct(x)}` : '',
      ),
    ),
  );
}

function histogram(counts: readonly number[], max: number): HTMLElement {
  const W = 300;
  const H = 80;
  const top = Math.max(1, ...counts);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 16}`);
  svg.setAttribute('class', 'hist');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `activation histogram, 20 bins from 0 to ${fmt(max)}`);
  counts.forEach((c, i) => {
    const bw = W / counts.length;
    const bh = (Math.log1p(c) / Math.log1p(top)) * H;
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', String(i * bw + 1));
    r.setAttribute('width', String(bw - 2));
    r.setAttribute('y', String(H - bh));
    r.setAttribute('height', String(bh));
    const t = document.createElementNS(ns, 'title');
    t.textContent = `${fmt((i / counts.length) * max)}–${fmt(((i + 1) / counts.length) * max)}: ${c}`;
    r.append(t);
    svg.append(r);
  });
  for (const [x, label, anchor] of [
    [0, '0', 'start'],
    [W, fmt(max), 'end'],
  ] as const) {
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(H + 13));
    t.setAttribute('text-anchor', anchor);
    t.textContent = label;
    svg.append(t);
  }
  return h(
    'figure',
    {},
    svg as unknown as HTMLElement,
    h('figcaption', {}, 'Positive activations on held-out tokens (log-scaled counts).'),
  );
}

function shownToken(s: string): string {
  return s.replace(/\n/g, '⏎').replace(/ /g, '\u00a0') || '∅';
}

/** One 64-token window: each token shaded by activation / the feature's maximum, value in its title, peak marked. */
function context(sae: SaeData, f: AliveFeature, ex: readonly number[]): HTMLElement {
  const docId = ex[0] as number;
  const doc = sae.docs[String(docId)];
  const acts = new Map<number, number>();
  let peak = -1;
  let pv = -Infinity;
  for (let j = 1; j + 1 < ex.length; j += 2) {
    const i = ex[j] as number;
    const a = ((ex[j + 1] as number) / 1000) * f.histMax;
    acts.set(i, a);
    if (a > pv) {
      pv = a;
      peak = i;
    }
  }
  const spans = (doc?.ids ?? []).map((t, i) => {
    const a = acts.get(i) ?? 0;
    const alpha = f.histMax > 0 ? Math.min(1, a / f.histMax) : 0;
    const text = sae.tokens[String(t)] ?? `#${t}`;
    const attrs: Record<string, string> = {
      class: `tok${i === peak ? ' peak' : ''}${a > 0 ? ' on' : ''}`,
      title: `${JSON.stringify(text)} activation ${fmt(a)}`,
    };
    if (a > 0) {
      attrs.style = `background:rgba(230,97,1,${(0.12 + 0.78 * alpha).toFixed(3)})`;
      attrs['data-act'] = String(a);
    }
    // Only the peak is a tab stop (one per context); every shaded token has its value in its title.
    if (i === peak) attrs.tabindex = '0';
    if (i === peak) attrs['aria-label'] = `peak token ${JSON.stringify(text)}, activation ${fmt(a)}`;
    return h('span', attrs, shownToken(text));
  });
  return h(
    'li',
    { class: 'ctx' },
    h('span', { class: 'ctx-meta' }, `${sae.languages[doc?.lang ?? 0] ?? ''} · doc ${docId} · peak ${fmt(pv)}`),
    h('div', { class: 'ctx-text' }, ...spans),
  );
}

function linkList(idx: SiteIndex, title: string, links: readonly LinkData[], langs: readonly string[]): HTMLElement {
  return h(
    'section',
    { class: 'lineage-list' },
    h('h3', {}, title),
    links.length === 0
      ? h('p', { class: 'muted' }, `none at cosine ≥ ${idx.threshold}`)
      : h(
          'ul',
          {},
          ...links.map(([si, f, cos, kind, cls]) => {
            const sae = idx.saes[si]?.id ?? '';
            return h(
              'li',
              {},
              link(featureHref(sae, f), `${saeLabel(idx, sae)} · feature ${f}`, { class: 'lineage-link' }),
              ' ',
              badge(cls, langs),
              ` cos ${fmt(cos)} (${kind === 0 ? 'matched' : 'nearest leftover'})`,
            );
          }),
        ),
  );
}

function origin(f: AliveFeature, langs: readonly string[]): string {
  if (f.prev.length === 0)
    return 'It has no parent at the previous checkpoint: it appears here (or this is the first checkpoint).';
  const parts = f.prev.map(([, g, cos, , cls]) => `${classLabel(cls, langs)} feature ${g} (cos ${fmt(cos)})`);
  const classes = new Set(f.prev.map((p) => p[4]));
  const kind =
    classes.has('first') && classes.has('second')
      ? `a merge of ${langs[0]} and ${langs[1]} features`
      : f.prev.length > 1
        ? 'a merge'
        : 'a continuation';
  return `At the previous checkpoint it is ${kind}: ${parts.join(', ')}.`;
}

async function featurePage(idx: SiteIndex, id: string, fi: number): Promise<HTMLElement> {
  const sae = await loadSae(id);
  const f = sae.features[fi];
  const L = sae.languages;
  if (!f) return h('p', {}, `feature ${fi} is not in ${id}`);
  const head = h(
    'nav',
    { class: 'crumbs', 'aria-label': 'breadcrumbs' },
    link('#/', 'Index'),
    ' › ',
    link(saeHref(id), saeLabel(idx, id)),
    ` › feature ${fi}`,
  );
  if (!isAlive(f))
    return h(
      'div',
      {},
      head,
      h('h1', {}, `Feature ${fi}`),
      h('p', {}, 'Dead: it never activated on the held-out tokens.'),
    );
  return h(
    'div',
    {},
    head,
    h('h1', {}, `Feature ${fi} `, badge(f.cls, L)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Class (occurrence share > 0.9)'),
      h('dd', { id: 'class-share' }, classLabel(f.cls, L)),
      h('dt', {}, "Class (authors' peak-token rule, top 50 contexts)"),
      h(
        'dd',
        { id: 'class-peak' },
        f.peakRule === 'none' ? 'no examples' : f.peakRule === 'mixed' ? 'Mixed' : f.peakRule,
      ),
      h('dt', {}, 'Occurrences'),
      h('dd', {}, String(f.occ)),
      h('dt', {}, 'Activation frequency'),
      h('dd', {}, pct(f.freq)),
      h('dt', {}, 'Token / semantic entropy'),
      h('dd', {}, `${fmt(f.te)} / ${fmt(f.se)}`),
      h('dt', {}, 'Monosemanticity'),
      h('dd', {}, fmt(f.mono)),
      h('dt', {}, 'Mean span'),
      h('dd', {}, fmt(f.span, 2)),
    ),
    h('h2', {}, 'Language split p(lang|f)'),
    langBar(f.pLang, L),
    h(
      'div',
      { class: 'two' },
      h(
        'section',
        {},
        h('h2', {}, 'Top tokens'),
        h(
          'table',
          { class: 'small' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'token'), h('th', { scope: 'col' }, 'p(t|f)'))),
          h(
            'tbody',
            {},
            ...f.top.map(([t, p]) =>
              h(
                'tr',
                {},
                h('td', { class: 'mono' }, shownToken(sae.tokens[String(t)] ?? `#${t}`)),
                h('td', {}, fmt(p)),
              ),
            ),
          ),
        ),
      ),
      h('section', {}, h('h2', {}, 'Activation histogram'), histogram(f.hist, f.histMax)),
    ),
    h('h2', {}, 'Top activating contexts'),
    h(
      'p',
      { class: 'muted' },
      "Held-out 64-token windows (BOS dropped). Shading: activation / the feature's maximum; the peak token is boxed; hover or focus a token for its value.",
    ),
    h('ol', { class: 'contexts' }, ...f.ex.map((e) => context(sae, f, e))),
    h('h2', { id: 'lineage' }, 'Lineage'),
    h('p', {}, origin(f, L)),
    h(
      'div',
      { class: 'two' },
      linkList(idx, 'Previous checkpoint (parents)', f.prev, L),
      linkList(idx, 'Next checkpoint (children)', f.next, L),
    ),
    h('div', { class: 'two' }, linkList(idx, 'Layer below', f.below, L), linkList(idx, 'Layer above', f.above, L)),
  );
}

type SortKey = 'f' | 'occ' | 'freq' | 'p0' | 'p1' | 'mono' | 'te' | 'se' | 'span';
const state = { cls: 'all', peak: 'all', q: '', sort: 'occ' as SortKey, desc: true };

function edgeRow(idx: SiteIndex, e: EdgeSummary): HTMLElement {
  return h(
    'tr',
    {},
    h('td', {}, link(saeHref(e.from), saeLabel(idx, e.from))),
    h('td', {}, link(saeHref(e.to), saeLabel(idx, e.to))),
    ...[e.counts.persist, e.counts.split, e.counts.merge, e.counts.appear, e.counts.vanish].map((x) =>
      h('td', { class: 'num' }, String(x)),
    ),
    h('td', { class: 'num' }, e.mixed ? `${e.mixed.fromMonolingual} / ${e.mixed.mixed}` : '–'),
  );
}
const edgeHead = () =>
  h(
    'thead',
    {},
    h(
      'tr',
      {},
      ...['from', 'to', 'persist', 'split', 'merge', 'appear', 'vanish', 'Mixed from mono.'].map((t) =>
        h('th', { scope: 'col' }, t),
      ),
    ),
  );

async function saePage(idx: SiteIndex, id: string): Promise<HTMLElement> {
  const sae = await loadSae(id);
  const L = sae.languages;
  const alive = sae.features.filter(isAlive);
  const body = h('tbody', {});
  const count = h('p', { class: 'muted', id: 'count', 'aria-live': 'polite' });
  const val = (f: AliveFeature, k: SortKey) => (k === 'p0' ? (f.pLang[0] ?? 0) : k === 'p1' ? (f.pLang[1] ?? 0) : f[k]);
  const render = () => {
    const q = state.q.trim().toLowerCase();
    const rows = alive
      .filter(
        (f) =>
          (state.cls === 'all' || f.cls === state.cls) &&
          (state.peak === 'all' || f.peakRule === state.peak) &&
          (q === '' || f.top.some(([t]) => (sae.tokens[String(t)] ?? '').toLowerCase().includes(q))),
      )
      .sort(
        (a, b) =>
          (state.desc ? val(b, state.sort) - val(a, state.sort) : val(a, state.sort) - val(b, state.sort)) || a.f - b.f,
      );
    count.textContent = `${rows.length} of ${alive.length} alive features (${sae.features.length - alive.length} dead)`;
    body.replaceChildren(
      ...rows.map((f) =>
        h(
          'tr',
          {},
          h('td', {}, link(featureHref(id, f.f), String(f.f), { class: 'feature-link' })),
          h('td', {}, badge(f.cls, L)),
          h('td', {}, f.peakRule),
          h('td', { class: 'num' }, fmt(f.pLang[0] ?? 0, 2)),
          h('td', { class: 'num' }, fmt(f.pLang[1] ?? 0, 2)),
          h('td', { class: 'num' }, fmt(f.mono)),
          h('td', { class: 'num' }, fmt(f.te, 2)),
          h('td', { class: 'num' }, fmt(f.se, 2)),
          h('td', { class: 'num' }, fmt(f.span, 2)),
          h('td', { class: 'num' }, pct(f.freq)),
          h('td', { class: 'num' }, String(f.occ)),
          h(
            'td',
            { class: 'mono' },
            f.top
              .slice(0, 4)
              .map(([t]) => shownToken(sae.tokens[String(t)] ?? `#${t}`))
              .join(' · '),
          ),
        ),
      ),
    );
  };
  const cols: [string, SortKey | null][] = [
    ['feature', 'f'],
    ['class', null],
    ['peak rule', null],
    [`p(${L[0]}|f)`, 'p0'],
    [`p(${L[1]}|f)`, 'p1'],
    ['monosem.', 'mono'],
    ['token H', 'te'],
    ['semantic H', 'se'],
    ['span', 'span'],
    ['freq', 'freq'],
    ['occ.', 'occ'],
    ['top tokens', null],
  ];
  const head = h(
    'tr',
    {},
    ...cols.map(([label, key]) =>
      h(
        'th',
        { scope: 'col', ...(key === state.sort ? { 'aria-sort': state.desc ? 'descending' : 'ascending' } : {}) },
        key
          ? h(
              'button',
              {
                type: 'button',
                class: 'sort',
                onclick: () => {
                  state.desc = state.sort === key ? !state.desc : true;
                  state.sort = key;
                  void route();
                },
              },
              label + (key === state.sort ? (state.desc ? ' ▼' : ' ▲') : ''),
            )
          : label,
      ),
    ),
  );
  const select = (label: string, name: 'cls' | 'peak', options: [string, string][]) =>
    h(
      'label',
      {},
      `${label} `,
      h(
        'select',
        {
          id: `filter-${name}`,
          onchange: (e: Event) => {
            state[name] = (e.target as HTMLSelectElement).value;
            render();
          },
        },
        ...options.map(([v, t]) => h('option', { value: v, ...(state[name] === v ? { selected: true } : {}) }, t)),
      ),
    );
  const search = h('input', {
    type: 'search',
    id: 'search',
    placeholder: 'token text',
    value: state.q,
    oninput: (e: Event) => {
      state.q = (e.target as HTMLInputElement).value;
      render();
    },
  });
  const edges = idx.edges.filter((e) => e.from === id || e.to === id);
  render();
  return h(
    'div',
    {},
    h('nav', { class: 'crumbs', 'aria-label': 'breadcrumbs' }, link('#/', 'Index'), ` › ${saeLabel(idx, id)}`),
    h('h1', {}, `${sae.size} · layer ${sae.layer} · step ${sae.step}`),
    h(
      'p',
      {},
      `n ${sae.n}, k ${sae.k}, d ${sae.d}; FVU ${fmt(sae.fvu)}, L0 ${fmt(sae.l0, 1)}; ${sae.evalTokens} held-out tokens; `,
      ...(['first', 'second', 'mixed'] as const).flatMap((c) => [badge(c, L), ` ${pct(sae.summary.shares[c])} `]),
    ),
    edges.length
      ? h(
          'details',
          { open: true },
          h('summary', {}, `Lineage (decoder cosine ≥ ${idx.threshold}, optimal one-to-one matching)`),
          h('table', { class: 'small' }, edgeHead(), h('tbody', {}, ...edges.map((e) => edgeRow(idx, e)))),
        )
      : null,
    h(
      'div',
      { class: 'filters', role: 'search' },
      select('Class', 'cls', [
        ['all', 'all'],
        ['first', L[0] ?? 'first'],
        ['second', L[1] ?? 'second'],
        ['mixed', 'Mixed'],
      ]),
      select('Peak rule', 'peak', [
        ['all', 'all'],
        ['en', 'en'],
        ['ja', 'ja'],
        ['mixed', 'Mixed'],
        ['none', 'none'],
      ]),
      h('label', {}, 'Search top tokens ', search),
    ),
    count,
    h('div', { class: 'scroll' }, h('table', { class: 'features' }, h('thead', {}, head), body)),
  );
}

async function indexPage(idx: SiteIndex): Promise<HTMLElement> {
  const L = idx.languages;
  const rows = [...idx.saes].sort(
    (a, b) => a.size.localeCompare(b.size) || a.recipe.localeCompare(b.recipe) || a.layer - b.layer || a.step - b.step,
  );
  const chk = idx.edges.filter((e) => e.axis === 'checkpoint');
  return h(
    'div',
    {},
    h('h1', {}, `saetrace feature browser · ${idx.pair} · ${idx.profile}`),
    h(
      'p',
      {},
      `${idx.saes.length} SAEs. Shares are of alive features; classes by occurrence share > 0.9. Lineage links need decoder cosine ≥ ${idx.threshold}.`,
    ),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'index' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              'size',
              'SAE',
              'layer',
              'step',
              'FVU',
              'L0',
              'dead',
              `${L[0] ?? 'first'}`,
              `${L[1] ?? 'second'}`,
              'Mixed',
            ].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          ...rows.map((s) =>
            h(
              'tr',
              {},
              h('td', {}, s.size),
              h('td', { class: 'mono small' }, `n${s.n} k${s.k}`),
              h('td', { class: 'num' }, String(s.layer)),
              h(
                'td',
                { class: 'num' },
                link(saeHref(s.id), String(s.step), {
                  class: 'sae-link',
                  'aria-label': `${s.size} layer ${s.layer} step ${s.step}`,
                }),
              ),
              h('td', { class: 'num' }, fmt(s.fvu)),
              h('td', { class: 'num' }, fmt(s.l0, 1)),
              h('td', { class: 'num' }, pct(s.dead)),
              h('td', { class: 'num' }, pct(s.shares.first)),
              h('td', { class: 'num' }, pct(s.shares.second)),
              h('td', { class: 'num' }, pct(s.shares.mixed)),
            ),
          ),
        ),
      ),
    ),
    h('h2', {}, 'Lineage between consecutive checkpoints'),
    h(
      'p',
      { class: 'muted' },
      'persist: matched pairs; split: earlier features with two or more successors; merge: later features with two or more predecessors; Mixed from mono.: Mixed features of the later SAE with a monolingual parent / all its Mixed features. The SAEs of one chain start from the same seeded initialisation, so a feature that keeps its index may partly keep its starting direction.',
    ),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'small', id: 'lineage-table' },
        edgeHead(),
        h('tbody', {}, ...chk.map((e) => edgeRow(idx, e))),
      ),
    ),
  );
}

// Each navigation gets a number; a page that finishes loading after a later navigation began is dropped,
// so a slow load never replaces the page the reader went on to. main's data-route names the hash shown,
// which is what tools/browse/test/browser.mjs waits for.
let routeSeq = 0;

async function route(): Promise<void> {
  const main = document.getElementById('main') as HTMLElement;
  const seq = ++routeSeq;
  const hash = location.hash;
  try {
    const idx = await load<SiteIndex>('index');
    const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    let page: HTMLElement;
    if (parts[0] === 'sae' && parts[1] && parts[2] === 'f' && parts[3] !== undefined)
      page = await featurePage(idx, parts[1], Number(parts[3]));
    else if (parts[0] === 'sae' && parts[1]) page = await saePage(idx, parts[1]);
    else page = await indexPage(idx);
    if (seq !== routeSeq) return;
    const focused = document.activeElement?.id;
    main.replaceChildren(page);
    main.dataset.route = hash;
    if (focused) (document.getElementById(focused) as HTMLElement | null)?.focus();
    document.title = `saetrace · ${page.querySelector('h1')?.textContent ?? ''}`;
  } catch (e) {
    if (seq !== routeSeq) return;
    main.replaceChildren(h('p', { role: 'alert' }, `Could not show this page: ${(e as Error).message}`));
    main.dataset.route = hash;
  }
}

window.addEventListener('hashchange', () => {
  void route().then(() => window.scrollTo(0, 0));
});
void route();
