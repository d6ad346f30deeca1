// Forms whose answer leads off the site, in real Chromium with the pages' CSP as served.
// Chromium holds every redirect that follows a form post to the posting page's `form-action`,
// so each journey here ends on another origin — a second small HTTP server on another port,
// standing for the service — and must arrive there: a payment's return_url (after paying, and
// from a second tab), a relying service's redirect_uri after signing in, and its
// post_logout_redirect_uri after the sign-out confirmation. A payment link's journey, which
// returns to its own page, works under the same strict policy. Each page's policy names only
// the origin its form may lead to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { newPage, pageProblems, withChromium, type Harness } from './browser.js';
import { authRequest, exchange, relyingParty, startApp, type RelyingParty, type Running } from '../../src/modules/identity/testing.js';
import { newPayment, payClient, payFixture } from '../../src/modules/payments/testing.js';
import { SANDBOX_CARDS } from '../../src/modules/payments/gateways/sandbox.js';

let run: Running;
let h: Harness;
let service: Server;
let serviceOrigin: string;
const arrived: string[] = [];
let api: ReturnType<typeof payClient>;
let rp: RelyingParty;

beforeAll(async () => {
  service = createServer((req, res) => {
    arrived.push(req.url ?? '');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!DOCTYPE html><html lang="en"><head><title>The service</title></head><body><h1>Back at the service</h1></body></html>');
  });
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  // Another host name and port than the app's 127.0.0.1:<port>: another origin, another site.
  serviceOrigin = `http://localhost:${(service.address() as AddressInfo).port}`;
  run = await startApp();
  h = await withChromium(run);
  api = payClient(run.built, (await payFixture(run.built)).keys.test);
  rp = await relyingParty(run, { redirectUri: `${serviceOrigin}/callback`, postLogoutRedirectUri: `${serviceOrigin}/signed-out` });
});
afterAll(async () => {
  await h?.close();
  await new Promise((r) => service?.close(r));
});

async function fillCard(page: Page) {
  await page.getByLabel('Card number').fill(SANDBOX_CARDS.success);
  await page.getByLabel('Month').fill('12');
  await page.getByLabel('Year').fill(String((new Date().getUTCFullYear() + 3) % 100));
  await page.getByLabel('Name on card').fill('Sherlock Holmes');
  await page.getByLabel('Card security code', { exact: false }).fill('123');
  await page.getByLabel('Address line 1').fill('221 Baker Street');
  await page.getByLabel('Town or city').fill('London');
  await page.getByLabel('Postcode').fill('NW1 6XE');
  await page.getByLabel('Email', { exact: true }).fill('sherlock@example.org');
}

const click = (page: Page, button: string, to: (u: URL) => boolean) =>
  Promise.all([page.waitForURL(to), page.getByRole('button', { name: button }).click()]);
const atService = (path: string) => (u: URL) => u.origin === serviceOrigin && u.pathname === path;
const formAction = (csp: string | undefined) => /form-action ([^;]*)/.exec(csp ?? '')?.[1];

describe('forms that lead to another site, in Chromium', () => {
  it('returns a paying user to a return_url on another site, from the confirm page and from a second tab', async () => {
    const p = (await api.post('/v1/payments', newPayment({ return_url: `${serviceOrigin}/done?ref=1` }))).json();
    const { context, page } = await newPage(h);
    try {
      const card = await page.goto(new URL(p._links.next_url.href).pathname);
      // A second tab on the same payment, left on the card page.
      const other = await context.newPage();
      await other.goto(`/pay/card/${p.payment_id}`);

      await fillCard(page);
      await click(page, 'Continue', (u) => u.pathname.endsWith('/confirm'));
      await click(page, 'Confirm payment', atService('/done'));
      expect(await page.locator('h1').innerText()).toBe('Back at the service');
      expect(pageProblems(page)).toEqual([]);

      // The second tab's form answers with the way back, too.
      await fillCard(other);
      await click(other, 'Continue', atService('/done'));
      expect(arrived.filter((u) => u === '/done?ref=1')).toHaveLength(2);
      expect(formAction(card?.headers()['content-security-policy'])).toBe(`'self' ${serviceOrigin}`);
    } finally {
      await context.close();
    }
    expect((await api.get(`/v1/payments/${p.payment_id}`)).json().state.status).toBe('success');
  });

  it('sends a citizen who signs in back to the relying service’s redirect_uri on another site', async () => {
    const email = `off.site.${Date.now()}@example.org`;
    await run.built.modules.identity.accounts.createAccount(email, 'a long enough password 7');
    const req = await authRequest(rp, { vtr: '["Cl"]' });
    const { context, page } = await newPage(h);
    try {
      const signIn = await page.goto(req.url.href);
      expect(new URL(page.url()).pathname).toBe('/identity/sign-in');
      expect(formAction(signIn?.headers()['content-security-policy'])).toBe(`'self' ${serviceOrigin}`);
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password', { exact: true }).fill('a long enough password 7');
      await click(page, 'Sign in', atService('/callback'));
      expect((await exchange(rp, req, page.url())).claims()!.sub).toMatch(/./);
      expect(pageProblems(page)).toEqual([]);

      // Signing out from the service without an ID token: the confirmation page's form leads there too.
      await page.goto(
        oidc.buildEndSessionUrl(rp.config, { client_id: rp.clientId, post_logout_redirect_uri: `${serviceOrigin}/signed-out`, state: 's1' })
          .href,
      );
      expect(await page.locator('h1').innerText()).toBe('Sign out');
      await click(page, 'Sign out', atService('/signed-out'));
      expect(new URL(page.url()).searchParams.get('state')).toBe('s1');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('takes a citizen through a payment link and back to its own page, with the policy as strict', async () => {
    const { service } = await payFixture(run.built);
    const slug = `off-site-link-${Date.now().toString(36)}`;
    await run.built.modules.payments.service.links.create(
      service.id,
      {
        slug,
        title: 'Pay for a permit',
        description: 'A permit.',
        amount: '25.00',
        referenceLabel: 'Permit number',
        referenceHint: '',
        language: 'en',
        live: false,
      },
      'test',
    );
    const { context, page } = await newPage(h);
    try {
      const start = await page.goto(`/pay/link/${slug}`);
      expect(formAction(start?.headers()['content-security-policy'])).toBe(`'self'`); // its form stays on the site
      await page.getByLabel('Permit number').fill('PERMIT-1');
      await click(page, 'Continue', (u) => u.pathname.startsWith('/pay/card/'));
      await fillCard(page);
      await click(page, 'Continue', (u) => u.pathname.endsWith('/confirm'));
      await click(page, 'Confirm payment', (u) => u.pathname.startsWith(`/pay/link/${slug}/return/`));
      expect(await page.locator('h1').innerText()).toContain('Payment successful');
      expect(await page.locator('.govuk-panel__body').innerText()).toContain('PERMIT-1');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('names only the origin a page’s form may lead to, and none on other pages', async () => {
    const p = (await api.post('/v1/payments', newPayment({ return_url: `${run.baseUrl}/?paid=yes` }))).json();
    const res = await fetch(`${run.baseUrl}${new URL(p._links.next_url.href).pathname}`, { redirect: 'manual' });
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    const card = await fetch(`${run.baseUrl}${res.headers.get('location')}`, { headers: { cookie } });
    expect(formAction(card.headers.get('content-security-policy') ?? '')).toBe(`'self' ${run.baseUrl}`);
    const home = await fetch(`${run.baseUrl}/`);
    expect(formAction(home.headers.get('content-security-policy') ?? '')).toBe(`'self'`);
  });
});
