// The site's own pages and the API documentation in real Chromium: axe (WCAG 2.2 AA) on the
// accessibility statement, cookies, privacy, developers' page and every API's documentation,
// in English and Welsh; the documentation read with JavaScript turned off; and the GOV.UK
// components' wording in Welsh as a person using the page meets it (the mobile menu button,
// the password toggle and what it announces).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeReport, newPage, pageProblems, startHarness, type Harness } from './browser.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const PAGES = [
  '/accessibility',
  '/cookies',
  '/privacy',
  '/developers',
  '/docs',
  '/docs/catalogue',
  '/docs/payments',
  '/docs/notify',
  '/docs/addresses',
];

describe('site pages and API documentation', () => {
  for (const lang of ['en', 'cy']) {
    it(`pass axe in ${lang === 'en' ? 'English' : 'Welsh'}`, async () => {
      const { context, page } = await newPage(h);
      try {
        const reports: string[] = [];
        for (const path of PAGES) {
          const res = await page.goto(`${path}?lang=${lang}`);
          expect(res?.status(), path).toBe(200);
          expect(await page.locator('html').getAttribute('lang')).toBe(lang);
          const report = await axeReport(page, `${path}?lang=${lang}`);
          if (report) reports.push(report);
        }
        expect(reports).toEqual([]);
        expect(pageProblems(page)).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('documents every operation without JavaScript', async () => {
    const context = await h.browser.newContext({ baseURL: h.baseUrl, javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto('/docs/payments');
      await expect.poll(() => page.locator('section.cs-operation').count()).toBeGreaterThan(10);
      const create = page.locator('section[aria-labelledby="post-pay-v1-payments"]');
      expect(await create.innerText()).toContain('return_url');
      expect(await page.locator('pre').first().innerText()).toContain('"description"');
    } finally {
      await context.close();
    }
  });
});

describe('GOV.UK components in Welsh', () => {
  it('labels the mobile menu button and the header landmarks in Welsh', async () => {
    const context = await h.browser.newContext({ baseURL: h.baseUrl, viewport: { width: 375, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto('/?lang=cy');
      const menu = page.locator('.govuk-service-navigation__toggle');
      await menu.waitFor({ state: 'visible' });
      expect((await menu.innerText()).trim()).toBe('Dewislen');
      expect(await page.locator('section.govuk-service-navigation').getAttribute('aria-label')).toBe('Gwybodaeth am y gwasanaeth');
      expect(await axeReport(page, '/?lang=cy at 375 px')).toBe('');
    } finally {
      await context.close();
    }
  });

  it('shows, hides and announces the password in Welsh', async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto('/identity/sign-in?lang=cy');
      const password = page.locator('input[type="password"]');
      await password.fill('correct horse');
      const toggle = page.locator('.govuk-password-input__toggle');
      await toggle.waitFor({ state: 'visible' });
      expect((await toggle.innerText()).trim()).toBe('Dangos');
      expect(await toggle.getAttribute('aria-label')).toBe('Dangos cyfrinair');
      await toggle.click();
      expect((await toggle.innerText()).trim()).toBe('Cuddio');
      expect(await toggle.getAttribute('aria-label')).toBe('Cuddio cyfrinair');
      await expect.poll(() => page.locator('.govuk-password-input__sr-status').innerText()).toBe('Mae eich cyfrinair yn weladwy');
      await toggle.click();
      await expect.poll(() => page.locator('.govuk-password-input__sr-status').innerText()).toBe("Mae eich cyfrinair wedi'i guddio");
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('counts characters in Welsh on the feedback form', async () => {
    const { context, page } = await newPage(h);
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    try {
      await page.goto('/services/pay-council-tax?lang=cy');
      await page.locator('textarea[name="improvement"]').fill('Da iawn');
      await expect.poll(() => page.locator('.govuk-character-count__status').innerText()).toMatch(/^Mae gennych 1193 nod yn weddill$/);
      expect(warnings.filter((w) => w.includes('i18n'))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
