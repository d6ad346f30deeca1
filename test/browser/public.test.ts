// Public journeys in a real browser: find a service from the home page, read a service page
// (who is accountable, decisions, roadmap, satisfaction) in English and Welsh, and give feedback
// with and without errors. Every page is checked with axe against WCAG 2.2 AA.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeReport, newPage, pageProblems, screenshot, startHarness, type Harness } from './browser.js';

const SLUG = 'apply-for-a-blue-badge';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('the accessibility check itself', () => {
  it('reports a known violation, so a clean result means something', async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto('/');
      await page.evaluate(() => {
        document.querySelector('main')?.insertAdjacentHTML('beforeend', '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">');
      });
      const report = await axeReport(page, 'a page with an image without alt text', { print: false });
      expect(report).toContain('image-alt');
    } finally {
      await context.close();
    }
  });
});

describe('home page', () => {
  it('has a heading, finds "Apply for a Blue Badge" by searching for "badge", and passes axe', async () => {
    const { context, page } = await newPage(h);
    try {
      const res = await page.goto('/');
      expect(res?.status()).toBe(200);
      await expect.poll(() => page.locator('h1').count()).toBe(1);
      expect((await page.locator('h1').innerText()).trim()).not.toBe('');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');

      await screenshot(page, 'home');
      // The skip link is the first thing a keyboard reaches.
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe('#main-content');

      expect(await axeReport(page, 'the home page /')).toBe('');

      const search = page.locator('input[name="q"]');
      await search.fill('badge');
      const form = page.locator('form:has(input[name="q"])');
      expect((await form.getAttribute('method'))?.toLowerCase() ?? 'get').toBe('get');
      const submit = form.locator('button, input[type="submit"]');
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('q') === 'badge'),
        (await submit.count()) ? submit.first().click() : search.press('Enter'),
      ]);
      await expect.poll(() => page.getByRole('link', { name: 'Apply for a Blue Badge' }).count()).toBeGreaterThan(0);
      // Only matching services are listed.
      expect(await page.getByRole('link', { name: 'Pay a parking fine' }).count()).toBe(0);
      expect(await axeReport(page, 'the home page searched for "badge"')).toBe('');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('service page', () => {
  it('shows the accountable office-holder, decisions, roadmap and user satisfaction, and passes axe', async () => {
    const detail = await h.built.modules.catalogue.service.getServiceDetail(SLUG);
    const { context, page } = await newPage(h);
    try {
      const res = await page.goto(`/services/${SLUG}`);
      expect(res?.status()).toBe(200);
      expect(await page.locator('h1').innerText()).toContain('Apply for a Blue Badge');
      const main = page.locator('main');
      const text = await main.innerText();

      expect(detail.office_holder).not.toBeNull();
      expect(text).toContain(detail.office_holder!.name);
      expect(text).toContain(detail.office_holder!.role);

      expect(text).toMatch(/decision/i);
      expect(detail.decisions.length).toBeGreaterThan(0);
      for (const d of detail.decisions) expect(text).toContain(d.decision);

      expect(text).toMatch(/roadmap/i);
      for (const r of detail.roadmap) expect(text).toContain(r.title);

      expect(text).toMatch(/satisf/i);
      expect(detail.satisfaction.score).not.toBeNull();
      expect(text).toMatch(/\d+(\.\d+)?\s?%/);

      await screenshot(page, 'service');
      expect(await axeReport(page, `/services/${SLUG}`)).toBe('');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renders in Welsh with <html lang="cy"> and passes axe', async () => {
    const { context, page } = await newPage(h);
    try {
      const res = await page.goto('/services/pay-council-tax?lang=cy');
      expect(res?.status()).toBe(200);
      expect(await page.locator('html').getAttribute('lang')).toBe('cy');
      expect(await page.locator('h1').innerText()).toContain('Talu eich treth gyngor');
      // The language switch offers English.
      expect(await page.locator('a[hreflang="en"]').count()).toBeGreaterThan(0);
      expect(await axeReport(page, '/services/pay-council-tax?lang=cy')).toBe('');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('starting a service', () => {
  it('"Start now" leads to how to apply, in English and in Welsh, and both pass axe', async () => {
    const { context, page } = await newPage(h);
    try {
      for (const [url, start, heading] of [
        [`/services/${SLUG}`, 'Start now', 'How to apply'],
        ['/services/check-your-bin-collection-day?lang=cy', 'Dechrau nawr', 'Sut i wneud cais'],
      ]) {
        await page.goto(url);
        await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/apply')), page.getByRole('button', { name: start }).click()]);
        expect((await page.locator('h1').innerText()).trim()).toBe(heading);
        expect(await axeReport(page, page.url())).toBe('');
      }
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('feedback', () => {
  it('shows the error summary without a rating, then thanks the user', async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto(`/services/${SLUG}`);
      const send = page.getByRole('button', { name: 'Send feedback' });
      await send.click();

      const summary = page.locator('.govuk-error-summary');
      await summary.waitFor({ state: 'visible' });
      await page.waitForLoadState('load');
      const link = summary.locator('a').first();
      expect(await link.getAttribute('href')).toMatch(/#rating$/);
      expect(await page.title()).toMatch(/^Error:/);
      // The error summary link moves focus to the first radio of the rating question.
      await link.click();
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('rating');
      expect(await axeReport(page, `/services/${SLUG} feedback with an error`)).toBe('');

      const comment = `Browser test comment ${Date.now()}`;
      await page.locator('input[name="rating"][value="5"]').check();
      expect(await page.getByLabel('Very satisfied').isChecked()).toBe(true);
      await page.locator('textarea[name="improvement"]').fill(comment);
      await page.getByRole('button', { name: 'Send feedback' }).click();

      const panel = page.locator('.govuk-panel');
      await panel.waitFor({ state: 'visible' });
      await page.waitForLoadState('load');
      expect(await panel.innerText()).toContain('Thank you for your feedback');
      expect(await axeReport(page, 'the feedback thank-you page')).toBe('');

      const service = await h.built.modules.catalogue.service.getService(SLUG);
      const comments = await h.built.modules.catalogue.service.recentComments(service.id);
      expect(comments.some((c) => c.improvement === comment && c.rating === 5)).toBe(true);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
