// The exchange's pages in a real browser: the citizen's /your-data (list, one use with its
// proof, the objection form) and the staff console /admin/exchange (with an error summary)
// pass axe in English and Welsh, with no broken resources.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeReport, newPage, pageProblems, screenshot, startHarness, type Harness } from './browser.js';
import { signedInCitizen } from '../../src/modules/identity/testing.js';
import type { LogEntry } from '../../src/modules/exchange/log.js';
import { sampleEntry } from '../../src/modules/exchange/testing.js';

let h: Harness;
const PASSWORD = 'a long staff passphrase 1';

beforeAll(async () => {
  h = await startHarness();
  await h.built.modules.exchange.seedDemo();
  await h.built.modules.catalogue.service.createStaff(
    { kind: 'cli' },
    { email: 'exchange.admin@example.org', password: PASSWORD, role: 'platform_admin' },
  );
});
afterAll(async () => {
  await h?.close();
});

const use = (subject: string, over: Partial<LogEntry>): LogEntry =>
  sampleEntry({ subject, user_id: 'GB-officer-7', issue: 'BB-2026-0042', attributes: ['pip_mobility', 'pip_mobility_points'], ...over });

describe('exchange pages', () => {
  it("the citizen's view passes axe in English and Welsh", async () => {
    const run = { built: h.built, baseUrl: h.baseUrl, issuer: `${h.baseUrl}/identity`, close: async () => {} };
    const me = await signedInCitizen(run, {});
    await h.built.modules.exchange.accessLog.appendMany([
      use(me.accountId, {}),
      use(me.accountId, {
        client: 'UK/GOV/CITYSCAPE/identity',
        service: 'UK/GOV/HMPO/passports/validity',
        purpose: 'dpv:IdentityVerification',
        basis: 'statute:identity-verification',
        attributes: ['valid'],
      }),
      use(me.accountId, { outcome: 'refused', status: 403, error: 'Server.ServerProxy.AccessDenied', attributes: [] }),
    ]);
    const { context, page } = await newPage(h);
    try {
      const url = new URL(h.baseUrl);
      await context.addCookies(
        me.browser
          .cookiesFor('/')
          .split('; ')
          .filter(Boolean)
          .map((c) => ({ name: c.slice(0, c.indexOf('=')), value: c.slice(c.indexOf('=') + 1), domain: url.hostname, path: '/' })),
      );
      for (const lang of ['en', 'cy']) {
        const res = await page.goto(`/your-data?lang=${lang}`);
        expect(res?.status()).toBe(200);
        expect(await axeReport(page, `/your-data (${lang})`)).toBe('');
        await page.locator('a[href^="/your-data/uses/"]').first().click();
        expect(await axeReport(page, `a use (${lang})`)).toBe('');
      }
      await page.goto('/your-data?lang=en');
      await screenshot(page, 'exchange-your-data');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the staff console passes axe, with its error summary too', async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto('/admin/sign-in');
      await page.locator('input[name="email"]').fill('exchange.admin@example.org');
      await page.locator('input[name="password"]').fill(PASSWORD);
      await Promise.all([
        page.waitForURL((u) => u.pathname.startsWith('/admin') && !u.pathname.startsWith('/admin/sign-in')),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      for (const lang of ['en', 'cy']) {
        expect((await page.goto(`/admin/exchange?lang=${lang}`))?.status()).toBe(200);
        expect(await axeReport(page, `/admin/exchange (${lang})`)).toBe('');
      }
      await page.goto('/admin/exchange?lang=en');
      await page.locator('#purposes').fill('not a purpose');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Grant', exact: true }).click()]);
      expect(await page.locator('.govuk-error-summary').count()).toBe(1);
      expect(await axeReport(page, '/admin/exchange with errors')).toBe('');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
