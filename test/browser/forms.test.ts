// Forms in a real browser (Chromium) with JavaScript switched off: a demo form walked through in
// English (add another, a routing question, an error summary, check answers, change, send) and
// a real published GOV.UK Forms definition, imported, walked through in Welsh — axe (WCAG 2.2 AA)
// on every page the citizen sees.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeReport, pageProblems, ROOT, startHarness, type Harness } from './browser.js';
import { DEMO_FORMS } from '../../src/modules/forms/demo.js';
import { importDefinition } from '../../src/modules/forms/import.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  const forms = h.built.modules.forms;
  const carers = await h.built.modules.catalogue.service.getService('apply-for-carers-support');
  await forms.service.save({ id: carers.id, slug: carers.slug }, DEMO_FORMS['apply-for-carers-support'], { by: 'test', live: true });
  const birth = await h.built.modules.catalogue.service.getService('register-a-birth');
  const doc = JSON.parse(readFileSync(join(ROOT, 'src/modules/forms/fixtures/govuk-forms-all-question-types.json'), 'utf8'));
  await forms.service.save({ id: birth.id, slug: birth.slug }, importDefinition(doc).definition, { by: 'test', live: true });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

async function noJsPage() {
  const context = await h.browser.newContext({ baseURL: h.baseUrl, viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  return { context, page };
}
const axeFailures: string[] = [];
let axePage: Page | null = null;
/** axe needs script, so each page the no-JavaScript browser sees is checked as it is, in a page that runs axe. */
async function check(page: Page) {
  if (!axePage) {
    const c = await h.browser.newContext({ baseURL: h.baseUrl, viewport: { width: 1280, height: 900 } });
    axePage = await c.newPage();
  }
  await axePage.goto('/health');
  await axePage.setContent(await page.content(), { waitUntil: 'load' });
  const r = await axeReport(axePage, page.url());
  if (r) axeFailures.push(r);
  expect(pageProblems(page)).toEqual([]);
}
const next = (page: Page, text = 'Continue') => page.getByRole('button', { name: text }).click();

describe('a form without JavaScript', () => {
  it('walks the carer’s support form in English: error summary, add another, routing, change from check answers, send', async () => {
    const { context, page } = await noJsPage();
    await page.goto('/services/apply-for-carers-support');
    expect(await page.locator('a[href="/forms/apply-for-carers-support"]').count()).toBeGreaterThan(0);
    await page.goto('/forms/apply-for-carers-support');
    await check(page);
    await page.getByRole('button', { name: 'Start now' }).click();
    await page.waitForURL(/\/name$/);
    await next(page);
    expect(await page.locator('.govuk-error-summary').count()).toBe(1);
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Enter an answer');
    await check(page);
    await page.getByLabel('What is your full name?').fill('Sam Carer');
    await next(page);
    await page.getByLabel('Day').fill('27');
    await page.getByLabel('Month').fill('3');
    await page.getByLabel('Year').fill('1980');
    await check(page);
    await next(page);
    await page.getByLabel('Their name').fill('Alex');
    await page.getByLabel('Hours a week you care for them').fill('20');
    await check(page);
    await next(page);
    await page.waitForURL(/add-another$/);
    await check(page);
    await page.getByLabel('No').check();
    await next(page);
    await page.getByLabel('A break from caring').check();
    await check(page);
    await next(page);
    await page.getByLabel('Yes').check();
    await next(page);
    await page.waitForURL(/\/employer$/);
    await page.getByLabel('Who do you work for?').fill('Riverside Library');
    await next(page);
    await page.getByLabel('What is your email address?').fill('sam@example.org');
    await next(page);
    await page.waitForURL(/\/check$/);
    expect(await page.locator('main').textContent()).toContain('Riverside Library');
    await check(page);
    // Change "Do you work?" to No from check answers: the employer page drops out.
    await page.locator('a[href$="/working?change=1"]').click();
    await page.getByLabel('No').check();
    await next(page);
    await page.waitForURL(/\/check$/);
    expect(await page.locator('main').textContent()).not.toContain('Riverside Library');
    await page.getByRole('button', { name: 'Accept and send' }).click();
    await page.waitForURL(/\/confirmation$/);
    expect(await page.locator('.govuk-panel').textContent()).toMatch(/CS-[A-Z0-9]{5}-[A-Z0-9]{5}/);
    await check(page);
    await context.close();
  }, 120_000);

  it('walks a real GOV.UK Forms definition in Welsh', async () => {
    const { context, page } = await noJsPage();
    await page.goto('/forms/register-a-birth?lang=cy');
    await check(page);
    await page.getByRole('button', { name: 'Dechrau nawr' }).click();
    await page.getByLabel('Single line of text').fill('Testun');
    await next(page, 'Parhau');
    await page.getByLabel('Number').fill('seven');
    await next(page, 'Parhau');
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('rhif');
    await check(page);
    await page.getByLabel('Number').fill('7');
    await next(page, 'Parhau');
    await page.getByLabel('Llinell 1 y cyfeiriad').fill('1 Stryd Fawr');
    await page.getByLabel('Tref neu ddinas').fill('Caerdydd');
    await page.getByLabel('Cod post').fill('CF10 1AA');
    await check(page);
    await next(page, 'Parhau');
    await page.getByLabel('Email address').fill('rhian@example.org');
    await next(page, 'Parhau');
    await page.getByLabel('Diwrnod').fill('1');
    await page.getByLabel('Mis').fill('3');
    await page.getByLabel('Blwyddyn').fill('2025');
    await next(page, 'Parhau');
    await page.getByLabel('National Insurance number').fill('QQ 12 34 56 C');
    await next(page, 'Parhau');
    await page.getByLabel('Phone number').fill('029 2000 0000');
    await next(page, 'Parhau');
    await page.getByLabel('Option 2').check();
    await check(page);
    await next(page, 'Parhau');
    await next(page, 'Parhau');
    await page.waitForURL(/\/check/);
    await check(page);
    await page.getByRole('button', { name: 'Derbyn ac anfon' }).click();
    await page.waitForURL(/\/confirmation/);
    expect(await page.locator('h1').textContent()).toContain('Cais wedi’i gwblhau');
    await check(page);
    await context.close();
  }, 120_000);

  it('has no accessibility violations on any page seen', () => {
    expect(axeFailures.join('\n\n')).toBe('');
  });
});
