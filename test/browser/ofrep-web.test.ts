// The official OFREP web provider (@openfeature/ofrep-web-provider with @openfeature/web-sdk) in
// real Chromium, on a page served from another origin than Cityscape (so CORS is exercised),
// given only the base URL and an experiments key: bulk evaluation, then a change in Cityscape
// reaches the page through the OFREP event stream without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { startHarness, type Harness } from './browser.js';
import { api, experimentsKey, sampleFlags } from '../../src/modules/experiments/testing.js';

const SLUG = 'apply-for-a-blue-badge';

describe('OFREP web provider in Chromium', () => {
  let h: Harness;
  let site: http.Server;
  let siteUrl: string;
  let key: string;

  beforeAll(async () => {
    h = await startHarness();
    key = await experimentsKey(h.built, SLUG);
    expect((await api(h.built, key)('PUT', `/experiments/v1/services/${SLUG}/flags`, sampleFlags())).status).toBe(200);
    const bundle = await build({
      entryPoints: [new URL('./fixtures/ofrep-web.ts', import.meta.url).pathname],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0].text;
    site = http.createServer((req, res) => {
      if (req.url?.startsWith('/app.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>Service</title><script type="module" src="/app.js"></script>');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => site?.close(r));
    await h?.close();
  });

  it('evaluates every flag in bulk and follows changes through the event stream', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    const q = new URLSearchParams({ base: h.baseUrl, apikey: key, key: 'user-1', email: 'ana@cardiff.gov.uk' });
    await page.goto(`${siteUrl}/?${q}`);
    await page.waitForFunction(() => window.ofrep?.ready || window.ofrep?.error, null, { timeout: 20_000 });
    expect(await page.evaluate(() => window.ofrep.error)).toBeUndefined();
    const first = (await page.evaluate(() => window.ofrep.read())) as any;
    const direct = await api(h.built, key)('POST', '/ofrep/v1/evaluate/flags/start-button', { context: { targetingKey: 'user-1' } });
    expect(first.button).toMatchObject({ value: direct.json.value, variant: direct.json.variant, reason: 'SPLIT' });
    expect(first.banner).toBe(true);
    expect(first.uploads).toBe(3);
    expect(first.missing).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' });

    const doc = sampleFlags();
    doc.flags['max-uploads'].defaultVariant = 'many';
    await api(h.built, key)('PUT', `/experiments/v1/services/${SLUG}/flags`, doc);
    await page.waitForFunction(() => (window.ofrep.read() as any).uploads === 10, null, { timeout: 20_000 });
    expect(await page.evaluate(() => window.ofrep.changes)).toBeGreaterThan(0);
    await context.close();
  });
});
