// The development outbox in Chromium: a developer signs in to the staff console and reads what
// a fresh Cityscape "sent" (an email and a letter kept, not sent), and opens the letter's PDF.
// axe on the page, in English and Welsh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeReport, newPage, pageProblems, startHarness, type Harness } from './browser.js';

const EMAIL = 'developer@example.org';
const PASSWORD = 'correct horse battery';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  const { catalogue, notify } = h.built.modules;
  await catalogue.service.createStaff({ kind: 'cli' }, { email: EMAIL, password: PASSWORD, role: 'platform_admin' });
  await notify.seedDemo!();
  const service = await catalogue.service.getService('apply-for-a-blue-badge');
  const templates = await notify.service.templates(service.id, null);
  const of = (type: string) => (templates as Array<{ id: string; type: string }>).find((t) => t.type === type)!.id;
  await notify.service.sendEmail(service.id, {
    templateId: of('email'),
    to: 'sam@example.org',
    personalisation: { name: 'Sam', reference: 'BB-1234', extra: '' },
  });
  await notify.service.sendLetter(service.id, {
    templateId: of('letter'),
    personalisation: {
      name: 'Sam',
      reference: 'BB-1234',
      address_line_1: 'Sam Smith',
      address_line_2: '1 High Street',
      address_line_3: 'SW1A 1AA',
    },
  });
  await h.built.startWorkers();
});
afterAll(async () => {
  await h?.close();
});

describe('development outbox', () => {
  it('shows a signed-in developer what was kept, with the letter as a PDF', async () => {
    const { context, page } = await newPage(h);
    try {
      await page.goto('/admin/sign-in?next=/admin/notify/outbox');
      await page.getByLabel('Email address').fill(EMAIL);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
      for (;;) {
        await page.goto('/admin/notify/outbox');
        if ((await page.locator('.govuk-summary-card').count()) >= 2) break;
        await page.waitForTimeout(200);
      }
      expect(await page.locator('h1').innerText()).toBe('Development outbox');
      const main = await page.locator('main').innerText();
      expect(main).toContain('We have received your application: BB-1234');
      expect(main).toContain('Dear Sam');
      expect(await axeReport(page, '/admin/notify/outbox')).toBe('');
      const pdf = await page.request.get((await page.getByRole('link', { name: 'Open the letter (PDF)' }).getAttribute('href'))!);
      expect(pdf.headers()['content-type']).toBe('application/pdf');
      await page.goto('/admin/notify/outbox?lang=cy');
      expect(await page.locator('h1').innerText()).toBe('Blwch allan datblygu');
      expect(await axeReport(page, '/admin/notify/outbox in Welsh')).toBe('');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
