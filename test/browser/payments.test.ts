// Paying in a real browser (Chromium): the hosted card pages from a next_url through to the
// service's return_url — success, decline, cancel, expiry, Welsh, and with JavaScript switched
// off — with axe (WCAG 2.2 AA) on every page the paying user sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { axeReport, newPage, pageProblems, screenshot, startHarness, type Harness } from './browser.js';
import { newPayment, payClient, payFixture } from '../../src/modules/payments/testing.js';
import { SANDBOX_CARDS } from '../../src/modules/payments/gateways/sandbox.js';

let h: Harness;
let api: ReturnType<typeof payClient>;

beforeAll(async () => {
  h = await startHarness();
  const f = await payFixture(h.built);
  api = payClient(h.built, f.keys.test);
});
afterAll(async () => {
  await h?.close();
});

/** A payment whose return_url is this app's home page; its next_url as a path on the harness. */
async function create(over: Record<string, unknown> = {}) {
  const p = (await api.post('/v1/payments', newPayment({ return_url: `${h.baseUrl}/?paid=yes`, ...over }))).json();
  return { id: p.payment_id as string, next: new URL(p._links.next_url.href).pathname };
}
const state = async (id: string) => (await api.get(`/v1/payments/${id}`)).json().state;

async function fillCard(page: Page, card: string, lang: 'en' | 'cy' = 'en') {
  const l =
    lang === 'en'
      ? {
          number: 'Card number',
          month: 'Month',
          year: 'Year',
          name: 'Name on card',
          cvc: 'Card security code',
          line1: 'Address line 1',
          city: 'Town or city',
          postcode: 'Postcode',
          email: 'Email',
        }
      : {
          number: 'Rhif y cerdyn',
          month: 'Mis',
          year: 'Blwyddyn',
          name: 'Yr enw ar y cerdyn',
          cvc: 'Cod diogelwch y cerdyn',
          line1: 'Llinell 1 y cyfeiriad',
          city: 'Tref neu ddinas',
          postcode: 'Cod post',
          email: 'E-bost',
        };
  await page.getByLabel(l.number).fill(card);
  await page.getByLabel(l.month).fill('12');
  await page.getByLabel(l.year).fill(String((new Date().getUTCFullYear() + 3) % 100));
  await page.getByLabel(l.name).fill('Sherlock Holmes');
  await page.getByLabel(l.cvc, { exact: false }).fill('123');
  await page.getByLabel(l.line1).fill('221 Baker Street');
  await page.getByLabel(l.city).fill('London');
  await page.getByLabel(l.postcode).fill('NW1 6XE');
  await page.getByLabel(l.email, { exact: true }).fill('sherlock@example.org');
}

async function submit(page: Page, button: string, urlCheck: (u: URL) => boolean) {
  await Promise.all([page.waitForURL(urlCheck), page.getByRole('button', { name: button }).click()]);
  await page.waitForLoadState('load');
}

async function withPage(fn: (page: Page, context: BrowserContext) => Promise<void>, opts: { javaScript?: boolean } = {}) {
  const { context, page } =
    opts.javaScript === false
      ? await (async () => {
          const c = await h.browser.newContext({ baseURL: h.baseUrl, viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
          return { context: c, page: await c.newPage() };
        })()
      : await newPage(h);
  try {
    await fn(page, context);
  } finally {
    await context.close();
  }
}

describe('hosted payment pages in Chromium', () => {
  it('takes a payment and returns to the service, every page passing axe', async () => {
    const { id, next } = await create();
    await withPage(async (page) => {
      expect((await page.goto(next))?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe(`/pay/card/${id}`);
      expect(await page.locator('h1').innerText()).toBe('Enter card details');
      await screenshot(page, 'pay-card-details');
      expect(await axeReport(page, 'the card details page')).toBe('');

      // Errors first: the summary links to each field.
      await page.getByLabel('Card number').fill('4444 3333 2222 1112');
      await page.getByRole('button', { name: 'Continue' }).click();
      const summary = page.locator('.govuk-error-summary');
      await summary.waitFor({ state: 'visible' });
      await page.waitForLoadState('load');
      expect(await page.title()).toMatch(/^Error:/);
      expect(await summary.innerText()).toContain('Enter a valid card number');
      expect(await axeReport(page, 'the card details page with errors')).toBe('');

      await fillCard(page, '4444 3333 2222 1111');
      await submit(page, 'Continue', (u) => u.pathname.endsWith('/confirm'));
      expect(await page.locator('h1').innerText()).toBe('Confirm your payment');
      expect(await page.locator('main').innerText()).toContain('Visa ending in 1111');
      expect(await axeReport(page, 'the confirm page')).toBe('');
      await submit(page, 'Confirm payment', (u) => u.searchParams.get('paid') === 'yes');
      expect(pageProblems(page)).toEqual([]);
    });
    expect(await state(id)).toEqual({ status: 'success', finished: true });
  });

  it('shows the decline page and the way back to the service', async () => {
    const { id, next } = await create();
    await withPage(async (page) => {
      await page.goto(next);
      await fillCard(page, SANDBOX_CARDS.declined);
      await submit(page, 'Continue', (u) => u.pathname.endsWith('/done'));
      expect(await page.locator('h1').innerText()).toBe('Your payment has been declined');
      expect(await axeReport(page, 'the declined page')).toBe('');
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('paid') === 'yes'),
        page.getByRole('button', { name: 'Go back to try the payment again' }).click(),
      ]);
    });
    expect((await state(id)).code).toBe('P0010');
  });

  it('lets the paying user cancel', async () => {
    const { id, next } = await create();
    await withPage(async (page) => {
      await page.goto(next);
      await submit(page, 'Cancel payment', (u) => u.pathname.endsWith('/done'));
      expect(await page.locator('h1').innerText()).toBe('Your payment has been cancelled');
      expect(await axeReport(page, 'the cancelled page')).toBe('');
    });
    expect((await state(id)).code).toBe('P0030');
  });

  it('expires a payment left for more than 90 minutes', async () => {
    const { id, next } = await create();
    await withPage(async (page) => {
      await page.goto(next);
      await h.built.kernel.db.query(`UPDATE payments.payments SET created_at = now() - interval '91 minutes' WHERE payment_id = $1`, [id]);
      await fillCard(page, SANDBOX_CARDS.success);
      await submit(page, 'Continue', (u) => u.pathname.endsWith('/done'));
      expect(await page.locator('h1').innerText()).toBe('Your payment session has expired');
      expect(await axeReport(page, 'the expired page')).toBe('');
    });
    expect((await state(id)).code).toBe('P0020');
  });

  it('pays in Welsh', async () => {
    const { id, next } = await create({ language: 'cy' });
    await withPage(async (page) => {
      await page.goto(next);
      expect(await page.locator('html').getAttribute('lang')).toBe('cy');
      expect(await page.locator('h1').innerText()).toBe('Rhowch fanylion y cerdyn');
      expect(await axeReport(page, 'the Welsh card details page')).toBe('');
      await fillCard(page, SANDBOX_CARDS.success, 'cy');
      await submit(page, 'Parhau', (u) => u.pathname.endsWith('/confirm'));
      expect(await page.locator('h1').innerText()).toBe('Cadarnhewch eich taliad');
      expect(await axeReport(page, 'the Welsh confirm page')).toBe('');
      await submit(page, 'Cadarnhau’r taliad', (u) => u.searchParams.get('paid') === 'yes');
    });
    expect(await state(id)).toEqual({ status: 'success', finished: true });
  });

  it('works with JavaScript switched off', async () => {
    const { id, next } = await create();
    await withPage(
      async (page) => {
        await page.goto(next);
        await fillCard(page, SANDBOX_CARDS.success);
        await submit(page, 'Continue', (u) => u.pathname.endsWith('/confirm'));
        await submit(page, 'Confirm payment', (u) => u.searchParams.get('paid') === 'yes');
      },
      { javaScript: false },
    );
    expect(await state(id)).toEqual({ status: 'success', finished: true });
  });

  it('shows the payments console to staff, every page passing axe', async () => {
    const email = 'pay.console@example.org';
    const password = 'correct horse battery';
    await h.built.modules.catalogue.service.createStaff({ kind: 'cli' }, { email, password, role: 'platform_admin' });
    const { id } = await create({ reference: 'AXE-1' });
    const slug = (await h.built.modules.catalogue.service.getServiceById(
      (await h.built.kernel.db.query<{ service_id: string }>('SELECT service_id FROM payments.payments WHERE payment_id = $1', [id]))
        .rows[0].service_id,
    ))!.slug;
    await withPage(async (page) => {
      await page.goto(`/admin/sign-in?next=${encodeURIComponent(`/admin/pay/${slug}?mode=test`)}`);
      await page.locator('input[name="email"]').fill(email);
      await page.locator('input[name="password"]').fill(password);
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/admin/pay/${slug}`),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      expect(await page.locator('main').innerText()).toContain('AXE-1');
      expect(await axeReport(page, 'the transactions page')).toBe('');
      for (const path of [
        `/admin/pay`,
        `/admin/pay/${slug}/payments/${id}`,
        `/admin/pay/${slug}/totals?mode=test`,
        `/admin/pay/${slug}/webhooks?mode=test`,
        `/admin/pay/${slug}/links?mode=test`,
      ]) {
        expect((await page.goto(path))?.status(), path).toBe(200);
        expect(await axeReport(page, path)).toBe('');
      }
      expect(pageProblems(page)).toEqual([]);
    });
  });
});
