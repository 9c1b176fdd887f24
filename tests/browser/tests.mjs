// tests.mjs - the console's browser tests, in order (later tests use what
// earlier ones created). Each gets a fresh page of one browser profile
// and the cluster; the ones waiting for another issue's feature are pending.
import { until, request } from './cluster.mjs';

const NS = 'default';

// A page already signed in (the token put in session storage as the sign-in page does).
async function signedIn(page, cluster, path = '/ui/') {
  await page.goto(cluster.base + '/ui/sign-in');
  await page.evaluate((t) => sessionStorage.setItem('ckube.token', t), cluster.token);
  await page.goto(cluster.base + path);
}

function deployment(name, replicas, image = 'nginx:1.19') {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } } } };
}

function check(cond, msg) { if (!cond) throw new Error(msg); }

export const tests = [
  { name: 'static files are open, the API is not, with CSP and ETag', async run({ cluster }) {
    const idx = await request(cluster.base, 'GET', '/', { headers: { Accept: 'text/html' } });
    check(idx.status === 200 && idx.headers['content-type'].startsWith('text/html'), `GET / gave ${idx.status}`);
    const csp = idx.headers['content-security-policy'] || '';
    check(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp) && /frame-ancestors 'none'/.test(csp), `CSP: ${csp}`);
    const js = await request(cluster.base, 'GET', '/assets/js/main.js');
    check(js.status === 200 && js.headers['content-type'].startsWith('text/javascript'), `main.js: ${js.status} ${js.headers['content-type']}`);
    check(js.headers.etag && js.headers['cache-control'] === 'no-cache', 'main.js has no ETag/Cache-Control');
    const again = await request(cluster.base, 'GET', '/assets/js/main.js', { headers: { 'If-None-Match': js.headers.etag } });
    check(again.status === 304 && again.bytes === 0, `revalidation gave ${again.status}`);
    const css = await request(cluster.base, 'GET', '/assets/app.css');
    check(css.headers['content-type'].startsWith('text/css'), 'app.css content type');
    const deep = await request(cluster.base, 'GET', '/ui/list/apps/v1/deployments');
    check(deep.status === 200 && /<title>ckube console/.test(deep.body), 'a /ui/ route is not the page');
    const api = await request(cluster.base, 'GET', '/api/v1/namespaces');
    check(api.status === 401, `the API without a token gave ${api.status}`);
    const apiJson = await request(cluster.base, 'GET', '/', { headers: { Accept: 'application/json' } });
    check(apiJson.status === 401, `GET / for an API client gave ${apiJson.status}, not the API's 401`);
    const hidden = await request(cluster.base, 'GET', '/assets/.hidden');
    check(hidden.status === 404, `a dot file gave ${hidden.status}`);
    const post = await request(cluster.base, 'POST', '/assets/app.css', { body: 'x', type: 'text/plain' });
    check(post.status === 405, `POST to a file gave ${post.status}`);
  } },

  { name: 'sign in, bad token, sign out', async run({ page, cluster, shot }) {
    await page.goto(cluster.base + '/');
    await page.waitForURL('**/ui/sign-in');
    await shot('01-sign-in');
    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    await page.getByText('This token was not accepted').waitFor();
    await page.fill('#token', cluster.token);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    check(!page.url().includes(cluster.token), 'the token is in the URL');
    check(await page.evaluate(() => sessionStorage.getItem('ckube.token')) === cluster.token, 'token not in session storage');
    check(await page.evaluate(() => localStorage.getItem('ckube.token')) === null, 'token in local storage');
    await page.locator('.node').first().waitFor();
    await shot('02-overview');
    await page.click('#sign-out');
    await page.waitForURL('**/ui/sign-in');
    check(await page.evaluate(() => sessionStorage.getItem('ckube.token')) === null, 'sign-out kept the token');
  } },
];
