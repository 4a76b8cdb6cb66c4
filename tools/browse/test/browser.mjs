#!/usr/bin/env node
// Browser test of the feature browser (issue 21): builds the site for the smoke profile from the caches a
// smoke run of en-ja/figure5 and en-ja/figure3 leaves, opens it from file:// in Debian's headless Chromium
// through playwright-core (nothing downloads a browser), filters the feature table to Mixed, opens a
// feature, checks the shaded context and the lineage links, and keeps screenshots under reports/browser/.
// Exit 0 passed, 1 failed, 3 skipped (the reason printed).
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';

const CHROMIUM = process.env.SAETRACE_CHROMIUM ?? '/usr/bin/chromium';
const skip = (why) => {
  console.log(`browser test skipped: ${why}`);
  process.exit(3);
};
if (!existsSync(CHROMIUM)) skip(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  skip('playwright-core is not installed (npm ci)');
}
// SAETRACE_BROWSE_SITE names a site already built (e.g. the default profile's) to test instead of building the
// smoke one; SAETRACE_BROWSE_SHOTS where its screenshots go.
const prebuilt = process.env.SAETRACE_BROWSE_SITE;
if (!prebuilt && !existsSync('.cache/sae'))
  skip('no cached SAEs (run npx saetrace run en-ja/figure5 --profile smoke first)');
const out = resolve(prebuilt ?? '.cache/browse-test-site');
const shots = resolve(process.env.SAETRACE_BROWSE_SHOTS ?? 'reports/browser');
mkdirSync(shots, { recursive: true });
if (!prebuilt)
  execFileSync(
    process.execPath,
    ['tools/cli/bin/saetrace.mjs', 'browse', 'build', '--pair', 'en-ja', '--profile', 'smoke', '--out', out],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );

// The site's data files are `window.saetraceData("<id>", <json or base64 gzip of it>);` (tools/browse/src/build.ts).
function siteData(dir, id) {
  const text = readFileSync(`${dir}/data/${id}.js`, 'utf8');
  const v = JSON.parse(text.slice(text.indexOf(',') + 1, text.lastIndexOf(')')));
  return typeof v === 'string' ? JSON.parse(gunzipSync(Buffer.from(v, 'base64')).toString('utf8')) : v;
}
function lineageTarget(dir) {
  const ids = readdirSync(`${dir}/data`)
    .filter((f) => f.endsWith('.js') && f !== 'index.js' && !f.startsWith('text-'))
    .map((f) => f.slice(0, -3))
    .sort();
  for (const id of ids.reverse()) {
    const f = siteData(dir, id).features.find(
      (x) => x.cls === 'mixed' && (x.prev?.length ?? 0) + (x.next?.length ?? 0) > 0,
    );
    if (f) return { sae: id, f: f.f };
  }
  return null;
}

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  const url = pathToFileURL(`${out}/index.html`).href;
  await page.goto(url);
  await page.waitForSelector('table.index tbody tr');
  check((await page.locator('table.index tbody tr').count()) > 0, 'the index lists SAEs');
  check((await page.locator('#lineage-table tbody tr').count()) > 0, 'the index has a lineage table');
  await page.screenshot({ path: `${shots}/index.png`, fullPage: true });

  // The feature to open is chosen from the site's own data: the last SAE (in the index's order) with a
  // Mixed feature that has lineage links, so the lineage checks never depend on which caches a run left.
  const target = lineageTarget(out);
  check(target !== null, 'the site has a Mixed feature with lineage links');
  if (target === null) throw new Error('nothing to open');
  // Keyboard to its SAE's link and open it.
  await page.locator(`a.sae-link[href="#/sae/${target.sae}"]`).focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#main[data-route="#/sae/${target.sae}"]`);
  await page.selectOption('#filter-cls', 'mixed');
  const badges = await page.locator('table.features tbody tr td:nth-child(2)').allTextContents();
  check(
    badges.length > 0 && badges.every((b) => b === 'Mixed'),
    `the class filter keeps only Mixed features (${badges.length} rows)`,
  );
  await page.screenshot({ path: `${shots}/feature-table.png` });

  const t0 = Date.now();
  await page.locator(`table.features a.feature-link[href="#/sae/${target.sae}/f/${target.f}"]`).click();
  await page.waitForSelector(`#main[data-route="#/sae/${target.sae}/f/${target.f}"] .ctx`);
  const openMs = Date.now() - t0;
  check(openMs < 1000, `the feature page opens from disk in under 1 s (${openMs} ms)`);
  const shaded = page.locator('.ctx .tok.on');
  check((await shaded.count()) > 0, 'the contexts have shaded tokens');
  const title = (await shaded.first().getAttribute('title')) ?? '';
  check(/activation \d/.test(title), `a shaded token carries its activation in its title (${title})`);
  check(
    (await page.locator('.ctx .tok.peak').count()) === (await page.locator('.ctx').count()),
    'every context marks its peak token',
  );
  check(
    (await page.locator('#class-share').textContent()) === 'Mixed' &&
      ((await page.locator('#class-peak').textContent()) ?? '') !== '',
    'both class rules are shown',
  );
  await page.screenshot({ path: `${shots}/feature.png`, fullPage: true });

  const links = page.locator('a.lineage-link');
  check((await links.count()) > 0, 'the feature page has lineage links');
  if ((await links.count()) > 0) {
    const href = await links.first().getAttribute('href');
    await links.first().click();
    // Wait for the linked page itself, not for the hash: the old page stays up until the new one is built.
    await page.waitForSelector(`#main[data-route="${href}"]`);
    check(
      /Feature \d+/.test((await page.locator('h1').textContent()) ?? ''),
      `a lineage link opens the linked feature (${href})`,
    );
    await page.locator('#lineage').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}/lineage.png`, fullPage: true });
  }
  // Phone width: the same feature page without horizontal overflow of the page body.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `no horizontal page overflow at 390 px (${overflow} px)`);
  await page.screenshot({ path: `${shots}/feature-phone.png` });
  check(errors.length === 0, `no page errors or failed requests${errors.length ? `: ${errors.join('; ')}` : ''}`);
} finally {
  await browser.close();
}
console.log(failures.length ? `browser test failed: ${failures.length} checks` : 'browser test passed');
process.exit(failures.length ? 1 : 0);
