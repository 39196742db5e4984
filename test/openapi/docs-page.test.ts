import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxYaml, startReelay, TEST_KEY, type RunningReelay } from '../helpers/reelay.js';
import { assertEnvelope, call } from '../hostile/support.js';

/**
 * /docs: Swagger UI, every asset from this origin (the files of
 * @fastify/swagger-ui itself), nothing from a CDN, no key needed; anything
 * else under /docs is the project's envelope.
 */

let reelay: RunningReelay;

beforeAll(async () => {
  reelay = await startReelay({ yaml: sandboxYaml() });
});
afterAll(() => reelay?.close());

/** Every `src` and `href` of the page's tags. */
const assetRefs = (html: string): string[] => [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);

describe.each(['/docs', '/docs/'])('GET %s', (page) => {
  let html: string;
  let refs: string[];

  beforeAll(async () => {
    const res = await call(reelay, 'GET', page, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    html = res.text;
    refs = assetRefs(html);
  });

  it('is Swagger UI, loading its bundle, its preset, its initializer and its styles', () => {
    expect(html).toContain('<div id="swagger-ui">');
    for (const file of ['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-initializer.js', 'swagger-ui.css', 'index.css']) {
      expect(refs.some((r) => r.endsWith(`/${file}`)), file).toBe(true);
    }
  });

  it('references nothing on another host', () => {
    expect(html).not.toMatch(/(?:src|href)\s*=\s*["'](?:[a-z][a-z0-9+.-]*:)?\/\//i);
    for (const ref of refs) expect(new URL(ref, `${reelay.origin}${page}`).origin, ref).toBe(reelay.origin);
  });

  it('every script, style and icon it references is served here', async () => {
    expect(refs.length).toBeGreaterThanOrEqual(6);
    for (const ref of refs) {
      const url = new URL(ref, `${reelay.origin}${page}`);
      const res = await call(reelay, 'GET', `${url.pathname}${url.search}`, { key: null });
      expect(res.status, ref).toBe(200);
      const want = ref.endsWith('.js') ? /javascript/ : ref.endsWith('.css') ? /^text\/css/ : /^image\//;
      expect(res.headers['content-type'], ref).toMatch(want);
      expect(res.body.length, ref).toBeGreaterThan(0);
    }
  });
});

describe('what the page loads', () => {
  it('its stylesheets pull nothing remote (no @import, no url() but data: and relative ones)', async () => {
    for (const css of ['swagger-ui.css', 'index.css']) {
      const text = (await call(reelay, 'GET', `/docs/static/${css}`, { key: null })).text;
      expect(text, css).not.toMatch(/@import/);
      for (const [, ref] of text.matchAll(/url\(\s*["']?([^"')]+)/g)) expect(ref, css).not.toMatch(/^(?:[a-z]+:)?\/\/|^https?:/i);
    }
  });

  it('the initializer loads this origin\'s document and turns the validator badge off', async () => {
    const js = (await call(reelay, 'GET', '/docs/static/swagger-initializer.js', { key: null })).text;
    expect(js).toMatch(/validatorUrl: null/);
    expect(js).toContain("resolveUrl('./json')");
    // The only URL in it is in a comment; nothing it runs names another host.
    const code = js.replace(/\/\/ .*$/gm, '');
    expect(code).not.toMatch(/https?:\/\//);
  });

  it("a Content-Security-Policy lets the page load nothing from another origin", async () => {
    for (const path of ['/docs', '/docs/static/swagger-ui-bundle.js', '/docs/json']) {
      const csp = (await call(reelay, 'GET', path, { key: null })).headers['content-security-policy'] ?? '';
      expect(csp, path).toMatch(/default-src 'self'/);
      expect(csp, path).toMatch(/script-src 'self'(;|$)/);
      expect(csp, path).not.toMatch(/https:|http:|\*|upgrade-insecure-requests|validator\.swagger\.io/);
    }
  });

  it('/docs/json, what the page shows, is /openapi.json', async () => {
    const page = JSON.parse((await call(reelay, 'GET', '/docs/json', { key: null })).text);
    const doc = JSON.parse((await call(reelay, 'GET', '/openapi.json', { key: null })).text);
    expect(page).toEqual(doc);
    expect(Object.keys(page.paths)).toContain('/v1/videos');
  });

  it('needs no key, and a client key changes nothing', async () => {
    expect((await call(reelay, 'GET', '/docs', { key: TEST_KEY })).status).toBe(200);
    expect((await call(reelay, 'GET', '/docs', { key: 'sk-garbage' })).status).toBe(200);
  });
});

describe('anything else under /docs is an envelope', () => {
  it.each([
    '/docs/nope',
    '/docs/static/nope.js',
    '/docs/static/theme/x.css',
    '/docs/static/..%2F..%2Fpackage.json',
    '/docs/static/%2e%2e/%2e%2e/package.json',
    '/docs/static/..%5c..%5cpackage.json',
    '/docs/static/%00',
    '/docs/__proto__',
  ])('GET %s is a 4xx envelope, never a file from outside the assets', async (path) => {
    const res = await call(reelay, 'GET', path, { key: null });
    assertEnvelope(res, { status: [400, 403, 404] });
    expect(res.text).not.toContain('"name": "reelay"');
  });

  it('a bad percent-encoding is 400 invalid_url', async () => {
    assertEnvelope(await call(reelay, 'GET', '/docs/static/%E0%A4%A', { key: null }), { status: 400, code: 'invalid_url' });
  });

  it('another method on the page is 405 with Allow', async () => {
    const res = await call(reelay, 'POST', '/docs', { key: null });
    assertEnvelope(res, { status: 405, code: 'method_not_allowed' });
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});
