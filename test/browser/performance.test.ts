// Performance pages in a real browser: the list of services, one service's figures and the
// panel on its catalogue page pass axe in English and Welsh; chart bars are reachable from the
// keyboard and name their value; with JavaScript the "right now" figures change on their own
// when the service's events arrive (Server-Sent Events), with no reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeReport, expectBilingualAxe, newPage, pageProblems, screenshot, startHarness, type Harness } from './browser.js';
import { emit } from '../../src/modules/performance/testing.js';

const SLUG = 'apply-for-a-blue-badge';
let h: Harness;
let serviceId: string;

beforeAll(async () => {
  h = await startHarness();
  await h.built.startWorkers();
  serviceId = (await h.built.modules.catalogue.service.getService(SLUG)).id;
  await emit(h.built, [
    ...['a', 'b', 'c'].map((key) => ({ type: 'forms.started', payload: { service_id: serviceId, key } })),
    ...['a', 'b'].map((key) => ({ type: 'forms.submission.created', payload: { service_id: serviceId, key } })),
  ]);
  await h.built.kernel.events.drain();
});
afterAll(async () => {
  await h?.close();
});

describe('performance pages', () => {
  it('pass axe in English and Welsh, with no broken resources', async () => {
    const { context, page } = await newPage(h);
    try {
      await expectBilingualAxe(
        page,
        ['/performance', `/performance/services/${SLUG}`, `/services/${SLUG}`, '/performance?period=nonsense'],
        (path) => (path.includes('nonsense') ? 400 : 200),
      );
      await page.goto(`/performance/services/${SLUG}?lang=en`);
      await screenshot(page, 'performance-service');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('lets a keyboard reach each bar of a chart, which names its value', async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto(`/performance/services/${SLUG}?period=day`);
      const firstBar = page.locator('#chart-transactions-title').locator('xpath=..').locator('rect.cs-chart__bar').first();
      await firstBar.focus();
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/: \d+ transactions$/);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.tagName.toLowerCase())).toBe('rect');
    } finally {
      await context.close();
    }
  });

  it('updates the figures on the open page when the service’s events arrive', async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto(`/services/${SLUG}`);
      const live = page.locator('[data-figure="liveUsers"]').first();
      await page.locator('[data-live-note]').first().waitFor({ state: 'visible' }); // the stream is open
      const before = Number(await live.innerText());
      await emit(h.built, [{ type: 'forms.started', payload: { service_id: serviceId, key: `browser-${Date.now()}` } }]);
      await expect.poll(async () => Number(await live.innerText()), { timeout: 10_000 }).toBe(before + 1);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the console and the office-holder’s dashboard pass axe, forms with errors included', async () => {
    const email = 'perf-admin@example.org';
    const password = 'correct horse battery staple';
    await h.built.modules.catalogue.service.createStaff({ kind: 'cli' }, { email, password, role: 'platform_admin' });
    const { context, page } = await newPage(h);
    try {
      await page.goto('/admin/sign-in');
      await page.locator('input[name="email"]').fill(email);
      await page.locator('input[name="password"]').fill(password);
      await Promise.all([
        page.waitForURL((u) => !u.pathname.startsWith('/admin/sign-in')),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      const holder = (await h.built.modules.catalogue.service.getServiceDetail(SLUG)).office_holder!.name;
      for (const path of [
        '/admin/performance',
        `/admin/performance/${SLUG}`,
        '/dashboards',
        `/dashboards?holder=${encodeURIComponent(holder)}`,
      ]) {
        for (const lang of ['en', 'cy']) {
          const url = `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
          expect((await page.goto(url))?.status(), url).toBe(200);
          expect(await axeReport(page, url)).toBe('');
        }
      }
      await page.goto(`/admin/performance/${SLUG}?lang=en`);
      await page.getByRole('button', { name: 'Add alert' }).click();
      await page.locator('.govuk-error-summary').waitFor({ state: 'visible' });
      expect(await axeReport(page, 'the console with alert errors')).toBe('');
      await page.goto(`/dashboards?holder=${encodeURIComponent(holder)}`);
      await screenshot(page, 'performance-dashboard');
      // The dashboard's "transactions today" for this service moves by itself.
      const cell = page.locator(`[data-service="${SLUG}"] [data-figure="transactions"]`);
      await page.locator('[data-live-note]').waitFor({ state: 'visible' });
      const before = Number(await cell.innerText());
      await emit(h.built, [{ type: 'forms.submission.created', payload: { service_id: serviceId, key: `dash-${Date.now()}` } }]);
      await expect.poll(async () => Number(await cell.innerText()), { timeout: 10_000 }).toBe(before + 1);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
