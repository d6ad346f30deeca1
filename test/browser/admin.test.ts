// The staff console in a real browser: sign in (a wrong password first), then create a
// service through the form, errors included, and see it on the public site. axe on every form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeReport, newPage, pageProblems, startHarness, type Harness } from './browser.js';

const EMAIL = 'admin@example.org';
const PASSWORD = 'correct horse battery';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.built.modules.catalogue.service.createStaff({ kind: 'cli' }, { email: EMAIL, password: PASSWORD, role: 'platform_admin' });
});
afterAll(async () => {
  await h?.close();
});

describe('staff console', () => {
  it('signs in, creates a service with the form and publishes it', async () => {
    const { context, page } = await newPage(h);
    try {
      // A wrong password shows the error summary.
      const res = await page.goto('/admin/sign-in');
      expect(res?.status()).toBe(200);
      expect(await axeReport(page, '/admin/sign-in')).toBe('');
      await page.locator('input[name="email"]').fill(EMAIL);
      await page.locator('input[name="password"]').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('.govuk-error-summary').waitFor({ state: 'visible' });
      await page.waitForLoadState('load');
      expect(await page.title()).toMatch(/^Error:/);
      expect(await axeReport(page, '/admin/sign-in with a wrong password')).toBe('');

      // The right one leads to the dashboard.
      await page.locator('input[name="email"]').fill(EMAIL);
      await page.locator('input[name="password"]').fill(PASSWORD);
      await Promise.all([
        page.waitForURL((u) => u.pathname.startsWith('/admin') && !u.pathname.startsWith('/admin/sign-in')),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      expect(await page.locator('.govuk-error-summary').count()).toBe(0);
      expect((await page.locator('h1').innerText()).trim()).not.toBe('');
      expect(await axeReport(page, `the dashboard ${new URL(page.url()).pathname}`)).toBe('');

      // New service form: axe, then empty submit shows errors.
      expect((await page.goto('/admin/services/new'))?.status()).toBe(200);
      expect(await axeReport(page, '/admin/services/new')).toBe('');
      await page.getByRole('button', { name: 'Create service' }).click();
      const summary = page.locator('.govuk-error-summary');
      await summary.waitFor({ state: 'visible' });
      await page.waitForLoadState('load');
      expect(await summary.locator('a').count()).toBeGreaterThan(0);
      const hrefs = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      for (const href of hrefs) {
        // Every error links to a field that exists on the page.
        expect(href).toMatch(/^#/);
        expect(await page.locator(`[id="${href!.slice(1)}"]`).count(), `target of ${href}`).toBe(1);
      }
      expect(await page.title()).toMatch(/^Error:/);
      expect(await axeReport(page, '/admin/services/new with errors')).toBe('');

      // Fill it in properly.
      const slug = `browser-test-service-${Date.now().toString(36)}`;
      const name = 'Apply for a browser test permit';
      await page.locator('input[name="slug"]').fill(slug);
      await page.locator('input[name="name"]').fill(name);
      await page.locator('[name="summary"]').fill('A service created by the browser tests.');
      await page.locator('input[name="phase"][value="beta"]').check();
      await page.locator('select[name="organisation"]').selectOption('riverside-city-council');
      await Promise.all([
        page.waitForURL((u) => !u.pathname.endsWith('/admin/services/new')),
        page.getByRole('button', { name: 'Create service' }).click(),
      ]);
      const banner = page.locator('.govuk-notification-banner--success');
      await banner.waitFor({ state: 'visible' });
      expect(page.url()).toContain(slug);
      expect(await page.locator('main').innerText()).toContain(name);
      expect(await axeReport(page, `the admin page of ${slug}`)).toBe('');
      expect(pageProblems(page)).toEqual([]);

      // It is on the public site.
      const pub = await newPage(h);
      try {
        expect((await pub.page.goto(`/services/${slug}`))?.status()).toBe(200);
        expect(await pub.page.locator('h1').innerText()).toContain(name);
        const created = await h.built.modules.catalogue.service.getService(slug);
        expect(created.phase).toBe('beta');
        expect(created.organisation.slug).toBe('riverside-city-council');
      } finally {
        await pub.context.close();
      }
    } finally {
      await context.close();
    }
  });
});
