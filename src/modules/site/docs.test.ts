// The public API documentation through HTTP: rendered on the server from /openapi.json, so
// everything is in the HTML a browser without JavaScript gets — every API, every operation
// with its parameters, request body fields and responses, and each API's real error shape.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'node-html-parser';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { operationId } from './openapi.js';

let t: TestApp;
let doc: any;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

beforeAll(async () => {
  t = await buildTestApp();
  doc = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t?.close();
});

const page = async (url: string) => {
  const res = await t.app.inject({ url, headers: { accept: 'text/html' } });
  const root = parse(res.body, { blockTextElements: { script: true, style: true } });
  return { status: res.statusCode, type: String(res.headers['content-type']), html: res.body, root };
};

describe('API documentation', () => {
  it('lists every API of the OpenAPI document on /docs, as a plain page with no script of its own', async () => {
    const tags = new Set<string>();
    for (const item of Object.values<any>(doc.paths)) for (const m of METHODS) for (const tag of item[m]?.tags ?? []) tags.add(tag);
    expect([...tags]).toEqual(expect.arrayContaining(['addresses', 'catalogue', 'notify', 'payments']));
    const index = await page('/docs');
    expect(index.status).toBe(200);
    expect(index.type).toContain('text/html');
    const links = index.root.querySelectorAll('main a').map((a) => a.getAttribute('href'));
    for (const tag of tags) expect(links).toContain(`/docs/${tag}`);
    expect(links).toContain('/openapi.json');
    // Only the site's own progressive enhancement (and govuk-frontend's js-enabled class): no Swagger UI.
    const scripts = index.root.querySelectorAll('script');
    expect(scripts.map((s) => s.getAttribute('src')).filter(Boolean)).toEqual(['/assets/app.js']);
    for (const s of scripts.filter((x) => !x.getAttribute('src'))) expect(s.text).toContain('js-enabled');
  });

  it('shows every operation with its parameters, request body fields and responses', async () => {
    const pages = new Map<string, ReturnType<typeof parse>>();
    let operations = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        operations++;
        const tag = op.tags[0];
        if (!pages.has(tag)) {
          const p = await page(`/docs/${tag}`);
          expect(p.status, tag).toBe(200);
          pages.set(tag, p.root);
        }
        const root = pages.get(tag)!;
        const section = root.querySelector(`section[aria-labelledby="${operationId(m, path)}"]`);
        expect(section, `${m} ${path}`).not.toBeNull();
        const text = section!.text.replace(/\s+/g, ' ');
        expect(text).toContain(`${m.toUpperCase()} ${path}`);
        if (op.summary) expect(text).toContain(op.summary);
        for (const p of op.parameters ?? []) expect(text, `${m} ${path} parameter ${p.name}`).toContain(p.name);
        const body = op.requestBody?.content?.['application/json']?.schema;
        for (const field of Object.keys(body?.properties ?? {})) expect(text, `${m} ${path} body field ${field}`).toContain(field);
        for (const status of Object.keys(op.responses ?? {}))
          expect(text, `${m} ${path} status ${status}`).toMatch(new RegExp(`Status [0-9, ]*${status}`));
        const ok = op.responses?.['200'] ?? op.responses?.['201'];
        for (const field of Object.keys(ok?.content?.['application/json']?.schema?.properties ?? {}))
          expect(text, `${m} ${path} response field ${field}`).toContain(field);
      }
    }
    expect(operations).toBeGreaterThan(40);
    // Nested fields are named by their path.
    expect(pages.get('payments')!.text).toContain('billing_address.line1');
    // Types read as words: a union of literals is "one of".
    expect(pages.get('catalogue')!.text).toMatch(/one of: "discovery", "alpha", "beta", "live", "retiring"/);
  });

  it('shows each API’s own error shape, as a real request gets it', async () => {
    for (const [tag, prefix] of [
      ['payments', '/pay/v1'],
      ['notify', '/notify/v2'],
      ['catalogue', '/api/catalogue/v1'],
      ['addresses', '/addresses/search/places/v1'],
    ]) {
      const p = await page(`/docs/${tag}`);
      const pre = p.root.querySelector('pre');
      expect(pre, tag).not.toBeNull();
      const shown = JSON.parse(pre!.text);
      const intro = pre!.previousElementSibling!.text;
      const [, method, url, status] = /For example, (GET|POST|PUT|PATCH|DELETE) (\S+) .* status (\d{3})/.exec(intro)!;
      expect(url.startsWith(prefix)).toBe(true);
      const real = await t.app.inject({
        method: method as 'GET',
        url,
        headers: { accept: 'application/json', ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}) },
        ...(method !== 'GET' ? { payload: '{}' } : {}),
      });
      expect(String(real.statusCode)).toBe(status);
      expect(shown).toEqual(real.json());
    }
    // The compatible shapes: GOV.UK Pay's {code, description}, Notify's {status_code, errors}.
    expect((await page('/docs/payments')).root.querySelector('pre')!.text).toMatch(/"description"/);
    expect((await page('/docs/notify')).root.querySelector('pre')!.text).toMatch(/"status_code"/);
  });

  it('is in Welsh too, and answers 404 for an API it does not have', async () => {
    const cy = await page('/docs/payments?lang=cy');
    expect(cy.html).toContain('<html lang="cy"');
    expect(cy.root.querySelector('h1')!.text).toBe('Taliadau');
    expect(cy.root.text).toContain('Corff y cais');
    expect((await page('/docs/no-such-api')).status).toBe(404);
  });

  it('no longer serves Swagger UI, and the project no longer depends on it', async () => {
    expect((await t.app.inject({ url: '/docs/static/index.html' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/docs/json' })).statusCode).toBe(404);
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })).not.toContain('@fastify/swagger-ui');
  });
});
