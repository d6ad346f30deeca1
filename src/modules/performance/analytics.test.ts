// Cookieless page analytics over HTTP: Plausible-shaped events and the no-JavaScript pixel,
// visitors counted by a daily-salted hash (no cookie set, no address or user agent kept),
// bots and unknown services dropped, bad bodies answered with 400s, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { perfFixture } from './testing.js';
import { report } from './report.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';

function event(body: unknown, o: { ip?: string; ua?: string; type?: string; cookie?: string } = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/performance/api/event',
    remoteAddress: o.ip ?? '203.0.113.7',
    headers: {
      'content-type': o.type ?? 'application/json',
      'user-agent': o.ua ?? FIREFOX,
      ...(o.cookie ? { cookie: o.cookie } : {}),
    },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const hourAgo = () => new Date(Date.now() - 3600_000);

describe('page analytics', () => {
  it('counts page views and unique visitors without cookies or personal data', async () => {
    const { service } = await perfFixture(t);
    const url = `https://example.gov.uk/services/${service.slug}/start?utm_source=newsletter`;
    const first = await event({ name: 'pageview', url, domain: service.slug, referrer: 'https://www.google.com/search?q=my+name' });
    expect(first.statusCode).toBe(202);
    expect(first.body).toBe('ok');
    expect(first.headers['set-cookie']).toBeUndefined();
    await event({ n: 'pageview', u: `https://example.gov.uk/services/${service.slug}`, d: service.slug, r: 'https://www.google.com/x' });
    await event(
      { n: 'pageview', u: `https://example.gov.uk/services/${service.slug}`, d: service.slug, w: 390 },
      { ip: '198.51.100.9', ua: IPHONE },
    );
    // A beacon: text/plain, from a browser that has a session cookie (no CSRF token needed).
    const beacon = await event(JSON.stringify({ n: 'Download', u: '/services/x', d: service.slug, p: { file: 'form.pdf' } }), {
      type: 'text/plain;charset=UTF-8',
      cookie: 'cs_session=abc',
    });
    expect(beacon.statusCode).toBe(202);
    await t.modules.performance.analytics.flush();

    const r = await report(t.kernel.db, t.modules.performance.service, service.id, 'day');
    expect(r.volumes.pageViews).toBe(3);
    expect(r.volumes.visitors).toBe(2);
    expect(r.kpis.liveUsers).toBe(2);
    expect(r.top.referrers.map((x) => [x.dim, x.n])).toEqual([
      ['google.com', 1],
      ['newsletter', 1],
    ]);
    expect(r.top.devices.map((x) => [x.dim, x.n])).toEqual([
      ['desktop', 2],
      ['mobile', 1],
    ]);
    expect(r.top.pages.map((x) => x.dim).sort()).toEqual([`/services/${service.slug}`, `/services/${service.slug}/start`]);

    // Nothing that identifies a person is stored: no address, no user agent, no search terms.
    const dump = JSON.stringify(
      (
        await t.kernel.db.query(
          `SELECT m.*, v.* FROM performance.measurements m LEFT JOIN performance.visitors v ON v.service_id = m.service_id WHERE m.service_id = $1`,
          [service.id],
        )
      ).rows,
    );
    for (const secret of ['203.0.113.7', '198.51.100.9', 'Firefox', 'iPhone', 'my+name', 'search?q']) expect(dump).not.toContain(secret);
    // One salt: today's.
    const salts = await t.kernel.db.query<{ day: string }>('SELECT day::text FROM performance.salts');
    expect(salts.rows.map((x) => x.day)).toEqual([new Date().toISOString().slice(0, 10)]);
  });

  it('drops bots and unknown services quietly, and answers bad bodies with 400s', async () => {
    const { service } = await perfFixture(t);
    const bot = await event({ n: 'pageview', u: '/', d: service.slug }, { ua: 'Googlebot/2.1 (+http://www.google.com/bot.html)' });
    expect(bot.statusCode).toBe(202);
    expect(bot.headers['x-performance-dropped']).toBe('1');
    const unknown = await event({ n: 'pageview', u: '/', d: 'no-such-service' });
    expect(unknown.headers['x-performance-dropped']).toBe('1');
    for (const bad of ['{not json', '[]', JSON.stringify({ n: 'pageview', d: service.slug }), JSON.stringify({ n: 42, u: {}, d: ['x'] })]) {
      const res = await event(bad);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().errors).toBeTruthy();
    }
    const nul = await event({
      n: 'page\u0000view\ud800',
      u: '/a\u0000b',
      d: service.slug,
      p: { '\u0000': '\u0000', x: 'y'.repeat(10_000) },
    });
    expect(nul.statusCode).toBe(400); // refused at the edge (kernel/input.ts), in Plausible's error shape
    expect(nul.json().errors).toBeTruthy();
    const huge = await event({ n: 'pageview', u: '/', d: service.slug, p: { x: 'y'.repeat(20_000) } });
    expect(huge.statusCode).toBe(413);
    await t.modules.performance.analytics.flush();
    const r = await report(t.kernel.db, t.modules.performance.service, service.id, 'day');
    expect(r.volumes.pageViews).toBe(0); // the refused event counted nowhere
  });

  it('serves the script and the no-JavaScript pixel to other sites', async () => {
    const { service } = await perfFixture(t);
    const script = await t.app.inject({ method: 'GET', url: '/performance/script.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    expect(script.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(script.body.length).toBeLessThan(1500);
    const pixel = await t.app.inject({
      method: 'GET',
      url: `/performance/pixel.gif?d=${service.slug}&u=${encodeURIComponent(`/services/${service.slug}`)}`,
      headers: { 'user-agent': FIREFOX },
    });
    expect(pixel.statusCode).toBe(200);
    expect(pixel.headers['content-type']).toBe('image/gif');
    expect(pixel.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(pixel.headers['cache-control']).toBe('no-store');
    const junk = await t.app.inject({ method: 'GET', url: '/performance/pixel.gif?d[]=x&u=%ZZ' });
    expect(junk.statusCode).toBe(200); // an image always, whatever the query
    await t.modules.performance.analytics.flush();
    const k = await t.modules.performance.kpis(service.id, { from: hourAgo(), to: new Date() });
    expect(k.liveUsers).toBe(1);
  });
});
