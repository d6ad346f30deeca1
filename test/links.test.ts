// No citizen page links to a dead end. From the demo's home page (English and Welsh), the
// hosted payment pages of a payment, and the sign-in pages, this follows every link on every
// citizen page (everything but the staff console) and fails on any that answers 404 — or any
// other error — naming the page that linked to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from './helpers.js';
import { crawl, type CrawledPage } from './crawl.js';
import { newPayment, payBrowser, payClient, payFixture } from '../src/modules/payments/testing.js';

let t: TestApp;
let pages: CrawledPage[] = [];
let external: Array<{ href: string; from: string }> = [];

const citizen = (p: string) => !p.startsWith('/admin') && !/sign-out/.test(p);

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const f = await payFixture(t);
  const p = (await payClient(t, f.keys.test).post('/v1/payments', newPayment())).json();
  const payer = payBrowser(t);
  const card = await payer.get(p._links.next_url.href);
  const found = [
    await crawl(formBrowser(t), ['/', '/identity/sign-in'], { follow: citizen }),
    await crawl(formBrowser(t), ['/?lang=cy'], { follow: citizen }),
    await crawl(payer, [String(card.headers.location)], { follow: citizen }),
  ];
  pages = found.flatMap((x) => x.pages);
  external = found.flatMap((x) => x.external);
}, 240_000);
afterAll(async () => {
  await t?.close();
});

describe('links on citizen pages', () => {
  it('reach every service page and what it links to', () => {
    expect(pages.length).toBeGreaterThan(100);
    for (const slug of ['apply-for-a-blue-badge', 'pay-council-tax', 'tax-your-vehicle']) {
      expect(pages.some((p) => p.url.startsWith(`/services/${slug}`))).toBe(true);
    }
  });

  it('never lead to a page that is not there', () => {
    const status = new Map(pages.map((p) => [p.url, p.status]));
    const dead = pages
      .filter((p) => p.from !== null && (status.get(p.from) ?? 0) < 400 && (p.status === 404 || p.status >= 500))
      .map((p) => `${p.status} ${p.url} (linked from ${p.from})`);
    expect(dead).toEqual([]);
  });

  it('link off the site only to web addresses', () => {
    for (const { href } of external) expect(() => new URL(href)).not.toThrow();
    expect(external.every(({ href }) => /^https?:\/\//.test(href))).toBe(true);
  });
});
