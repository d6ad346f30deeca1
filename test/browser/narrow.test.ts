// The staff console on a 320 px wide screen (WCAG 1.4.10 Reflow) in real Chromium: every
// console page a platform administrator can reach by links, in English and Welsh, is no wider
// than the screen — wide tables scroll inside their own focusable region instead — none has
// a style or script the content security policy refuses (Notify's previews use classes), and
// the pages with the widest tables pass axe at that width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, formBrowser } from '../helpers.js';
import { crawl } from '../crawl.js';
import { axeReport, startHarness, type Harness } from './browser.js';

const STAFF = { email: 'narrow@example.org', password: 'correct horse battery staple' };
let h: Harness;
let consolePages: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  await h.built.modules.catalogue.service.createStaff(cli, { ...STAFF, role: 'platform_admin' });
  // Something in every table: a long-named API key…
  const svc = h.built.modules.catalogue.service;
  await svc.createApiKey(cli, {
    serviceSlug: 'pay-council-tax',
    platform: 'pay',
    type: 'test',
    name: 'A key with a rather long name for a narrow screen',
  });
  // A Notify template with every kind of formatting, and a message sent from it: their previews are crawled too.
  const service = await svc.getService('pay-council-tax');
  const notify = h.built.modules.notify.service;
  const tpl = await notify.createTemplate(
    service.id,
    {
      type: 'email',
      name: 'Your bill',
      subject: 'Your bill',
      body: '# Your bill\n\n^ Pay by ((date))\n\n* by card\n* by Direct Debit\n\n---\n\nhttps://www.example.gov.uk/a/rather/long/address/that/does/not/wrap/easily',
    },
    'narrow test',
  );
  await notify.sendEmail(service.id, { templateId: tpl.id, to: 'resident@example.com', personalisation: { date: '1 April' } });
  const b = formBrowser(h.built);
  await b.get('/admin/sign-in');
  await b.post('/admin/sign-in', STAFF);
  const found = await crawl(b, ['/admin'], {
    follow: (p) => p.startsWith('/admin') && !p.includes('sign-out') && !/[?&]lang=/.test(p),
    max: 300,
  });
  consolePages = found.pages.filter((p) => p.status === 200 && p.type.includes('html')).map((p) => p.url);
});
afterAll(async () => {
  await h?.close();
});

async function signedIn(lang: 'en' | 'cy') {
  const context = await h.browser.newContext({ baseURL: h.baseUrl, viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  // A style or script the content security policy refuses shows as a console error.
  const refused: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) refused.push(`${page.url()}: ${m.text()}`);
  });
  (page as unknown as { refused: string[] }).refused = refused;
  await page.goto(`/admin/sign-in?lang=${lang}`);
  await page.locator('input[name="email"]').fill(STAFF.email);
  await page.locator('input[name="password"]').fill(STAFF.password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/admin/sign-in')),
    page.locator('input[name="password"]').press('Enter'),
  ]);
  return { context, page };
}

/** How much wider than the screen the page is (0 when it fits). */
const overflow = (page: import('playwright-core').Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('staff console at 320 px', () => {
  for (const lang of ['en', 'cy'] as const) {
    it(`fits every console page on the screen (${lang})`, async () => {
      expect(consolePages.length).toBeGreaterThan(30);
      expect(consolePages).toContain('/admin/audit');
      const { context, page } = await signedIn(lang);
      try {
        const wide: string[] = [];
        for (const url of consolePages) {
          await page.goto(url);
          const px = await overflow(page);
          if (px > 0) wide.push(`${url}: ${px}px too wide`);
        }
        expect(wide).toEqual([]);
        expect((page as unknown as { refused: string[] }).refused).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('scrolls wide tables inside a named, focusable region, and passes axe at 320 px', async () => {
    const { context, page } = await signedIn('en');
    try {
      await page.goto('/admin/audit');
      const region = page.locator('.cs-table-scroll').first();
      expect(await region.getAttribute('role')).toBe('region');
      expect(await region.getAttribute('aria-label')).toContain('Who');
      // The table really is wider than the screen, and scrolls within its region.
      expect(await region.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
      await region.focus();
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => region.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
      const reports: string[] = [];
      for (const url of [
        '/admin/audit',
        '/admin/services/pay-council-tax',
        '/admin/staff',
        '/admin/organisations',
        '/admin/notify/pay-council-tax/messages',
        '/admin/pay',
      ]) {
        await page.goto(url);
        const report = await axeReport(page, `${url} at 320 px`);
        if (report) reports.push(report);
      }
      expect(reports).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
