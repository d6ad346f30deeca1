// The public pages, downloads and live streams over HTTP: figures from events on the service's
// own performance page and beside the office-holder on its catalogue page, English and Welsh,
// bad periods answered with an error (never a 500), CSV safe in spreadsheets, SSE that delivers
// a change and answers a reconnect with the current figures.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { emit, perfFixture, waitFor } from './testing.js';

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await buildTestApp();
  await t.startWorkers();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
afterAll(() => t?.close());

async function busyService(holder = 'Cllr Jo Bloggs') {
  const f = await perfFixture(t, { holder });
  const id = f.service.id;
  await emit(t, [
    ...['a', 'b', 'c', 'd'].map((key) => ({ type: 'forms.started', payload: { service_id: id, key } })),
    ...['a', 'b', 'c'].map((key) => ({ type: 'forms.submission.created', payload: { service_id: id, key } })),
  ]);
  await t.modules.catalogue.service.submitFeedback(f.service.slug, { rating: 5 });
  await t.kernel.events.drain();
  return f;
}

const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });

describe('pages', () => {
  it('shows a service’s KPIs beside its accountable office-holder, in English and Welsh', async () => {
    const { service } = await busyService();
    const en = await get(`/performance/services/${service.slug}`);
    expect(en.statusCode).toBe(200);
    expect(en.body).toContain('Cllr Jo Bloggs');
    expect(en.body).toMatch(/Completion rate<\/h3>\s*<p[^>]*><span class="cs-perf-figure">75%/);
    expect(en.body).toMatch(/User satisfaction<\/h3>\s*<p[^>]*><span class="cs-perf-figure">100%/);
    expect(en.body).toMatch(/Cost per transaction<\/h3>\s*<p[^>]*><span class="cs-perf-figure cs-perf-figure--missing">Not reported yet/);
    expect(en.body).toContain('<svg class="cs-chart"'); // a chart drawn on the server …
    expect(en.body).toContain('Show the figures as a table'); // … with its table
    const cy = await get(`/performance/services/${service.slug}?lang=cy`);
    expect(cy.body).toContain('Cyfradd cwblhau');
    for (const body of [en.body, cy.body]) expect(body).not.toMatch(/>\s*(nav|performance)\.[a-z.]+\s*</); // every label has its copy
    expect(cy.body).toMatch(/href="\/performance"[^>]*>\s*(<strong[^>]*>)?\s*Perfformiad/);
    expect(cy.body).toContain('<html lang="cy"');
  });

  it('adds the panel to the catalogue service page, right after who is accountable', async () => {
    const { service } = await busyService('Cllr Ann Other');
    const res = await get(`/services/${service.slug}`);
    expect(res.statusCode).toBe(200);
    const accountable = res.body.indexOf('id="accountable"');
    const panel = res.body.indexOf('How this service is performing');
    const decisions = res.body.indexOf('id="decisions"');
    expect(accountable).toBeGreaterThan(0);
    expect(panel).toBeGreaterThan(accountable);
    expect(panel).toBeLessThan(decisions);
    expect(res.body).toContain(`data-performance-live="/performance/services/${service.slug}/live"`);
  });

  it('lists every service’s KPIs by organisation, with open data downloads', async () => {
    const { service, org } = await busyService();
    const list = await get('/performance?period=day');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="/organisations/${org.slug}"`);
    expect(list.body).toContain(`href="/performance/services/${service.slug}?period=day"`);
    const json = await t.app.inject({ method: 'GET', url: '/performance/services.json?period=day' });
    expect(json.statusCode).toBe(200);
    const row = json.json().services.find((s: any) => s.slug === service.slug);
    expect(row.kpis).toMatchObject({ transactions: 3, starts: 4, completion_rate: 0.75, user_satisfaction: 1 });
    const csv = await t.app.inject({ method: 'GET', url: '/performance/services.csv' });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toContain('service,name,organisation');
  });

  it('answers a bad period with a clear error, never a 500', async () => {
    const { service } = await busyService();
    // A NUL is refused by the kernel before the page sees it: a GOV.UK error page, 400.
    const nul = await get(`/performance/services/${service.slug}?period=%00`);
    expect(nul.statusCode).toBe(400);
    expect(nul.body).toContain('period contains a character that is not allowed');
    for (const url of ['/performance?period=decade', `/performance/services/${service.slug}?period=fortnight`]) {
      const res = await get(url);
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('govuk-error-summary');
      expect(res.body).toContain('Choose a period from the list');
    }
    const json = await t.app.inject({ method: 'GET', url: `/performance/services/${service.slug}/figures.json?period=day&period=week` });
    expect(json.statusCode).toBe(400);
    expect(json.json().message).toMatch(/period must be one of/);
    expect((await get('/performance/services/no-such-service')).statusCode).toBe(404);
    expect([404, 414]).toContain((await get(`/performance/services/${'x'.repeat(5000)}`)).statusCode);
  });

  it('gives each service’s figures as JSON and spreadsheet-safe CSV', async () => {
    const { service } = await busyService();
    await t.modules.catalogue.service.updateService({ kind: 'cli' }, service.slug, { name: '=HYPERLINK("http://evil")' });
    const json = await t.app.inject({ method: 'GET', url: `/performance/services/${service.slug}/figures.json?period=day` });
    const body = json.json();
    expect(body).toMatchObject({ period: 'day', kpis: { transactions: 3, completion_rate: 0.75 }, service: { slug: service.slug } });
    expect(body.series).toHaveLength(24);
    expect(body.series.reduce((n: number, p: any) => n + p.transactions, 0)).toBe(3);
    expect(body.licence).toContain('open-government-licence');
    const csv = await t.app.inject({ method: 'GET', url: '/performance/services.csv' });
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });
});

/** Reads an SSE stream, collecting its events, until `stop()`. */
function openStream(path: string, headers: Record<string, string> = {}) {
  const events: Array<{ id?: string; event?: string; data: any }> = [];
  let status = 0;
  let contentType = '';
  const req = http.get(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    status = res.statusCode ?? 0;
    contentType = String(res.headers['content-type']);
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const e: Record<string, string> = {};
        for (const line of block.split('\n')) {
          const m = /^(\w+): ?(.*)$/.exec(line);
          if (m) e[m[1]] = m[2];
        }
        if (e.data) events.push({ id: e.id, event: e.event, data: JSON.parse(e.data) });
      }
    });
  });
  req.on('error', () => {});
  return { events, status: () => status, contentType: () => contentType, stop: () => req.destroy() };
}

describe('live streams (Server-Sent Events)', () => {
  it('sends the figures at once and again when the service’s events arrive; a reconnect gets them straight away', async () => {
    const { service } = await busyService();
    const s = openStream(`/performance/services/${service.slug}/live`);
    await waitFor(() => s.events.length > 0, 'the first figures');
    expect(s.status()).toBe(200);
    expect(s.contentType()).toContain('text/event-stream');
    expect(s.events[0]).toMatchObject({ event: 'figures', data: { service: service.slug, figures: { transactions: 3, starts: 4 } } });
    await emit(t, [{ type: 'forms.submission.created', payload: { service_id: service.id, key: 'd' } }]);
    await waitFor(() => s.events.find((e) => e.data.figures.transactions === 4), 'the new transaction');
    const lastId = s.events[s.events.length - 1].id!;
    s.stop();
    const again = openStream(`/performance/services/${service.slug}/live`, { 'last-event-id': lastId });
    await waitFor(() => again.events.length > 0, 'figures after reconnecting');
    expect(again.events[0].data.figures.transactions).toBe(4);
    again.stop();
  });

  it('watches several services on one stream, and refuses bad requests with JSON errors', async () => {
    const a = await busyService();
    const b = await perfFixture(t);
    const s = openStream(`/performance/live?services=${a.service.slug},${b.service.slug}`);
    await waitFor(() => new Set(s.events.map((e) => e.data.service)).size === 2, 'both services');
    s.stop();
    const none = await t.app.inject({ method: 'GET', url: '/performance/live' });
    expect(none.statusCode).toBe(400);
    const unknown = await t.app.inject({ method: 'GET', url: `/performance/live?services=${a.service.slug},nope` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/json');
    const many = await t.app.inject({
      method: 'GET',
      url: `/performance/live?services=${Array.from({ length: 51 }, (_, i) => `s${i}`).join(',')}`,
    });
    expect(many.statusCode).toBe(400);
  });
});
