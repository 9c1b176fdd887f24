// run.mjs - browser tests of the console: a fresh ckube with simulated
// nodes, Debian's chromium driven headless by playwright-core (loopback
// only), one test after another, a screenshot of each page into results/,
// measurements into results/perf.json. Prints "N passed, N failed" (and
// skipped: tests waiting for a feature another issue brings).
// Usage: node run.mjs [--bin DIR] [--filter REGEX]
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from './cluster.mjs';
import { tests } from './tests.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const bin = resolve(arg('--bin', join(here, '../../build/bin')));
const filter = new RegExp(arg('--filter', '.'));
const results = join(here, 'results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

let passed = 0, failed = 0, skipped = 0;
const perf = {};
let cluster, browser;
const userDataDir = join(results, 'profile');
try {
  cluster = await startCluster({ bin, webroot: join(bin, 'webroot'), logDir: results }); // as built: with assets/vendor
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 },
  });
  browser = ctx;
  // a CSP refusal is reported with where it came from (Chromium's own message does not say)
  await ctx.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) =>
    console.error(`CSP refused (${e.violatedDirective}) ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`)));
  for (const t of tests) {
    if (!filter.test(t.name)) continue;
    if (t.pending) { skipped++; console.log(`skip ${t.name}: ${t.pending}`); continue; }
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
    const t0 = Date.now();
    let timer;
    try {
      await Promise.race([
        t.run({ page, cluster, perf, shot: (name) => page.screenshot({ path: join(results, `${name}.png`), fullPage: false }),
          // A second, separate browser with its own context options (client certificates).
          otherBrowser: async (opts) => {
            const b = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
            return { context: await b.newContext({ ignoreHTTPSErrors: true, ...opts }), close: () => b.close() };
          } }),
        new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${t.timeout || 60000} ms`)), t.timeout || 60000); }),
      ]);
      if (errors.length) throw new Error(`errors in the page: ${errors.join(' | ')}`);
      passed++;
      console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name}: ${e.message.split('\n')[0]}`);
      await page.screenshot({ path: join(results, `FAIL-${t.name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    } finally {
      clearTimeout(timer);
      await page.close().catch(() => {});
    }
  }
} catch (e) {
  failed++;
  console.log(`FAIL setup: ${e.message}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (cluster) await cluster.stop();
  rmSync(userDataDir, { recursive: true, force: true });
  writeFileSync(join(results, 'perf.json'), JSON.stringify(perf, null, 2) + '\n');
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
