// Identity in real Chromium: a relying party (openid-client, private_key_jwt, PKCE) sends a
// new citizen to sign in with vtr ["Cl.Cm.P2"]; they create an account, set up an
// authenticator app and prove their identity with a passport, all through the GOV.UK pages
// (axe on each), and come back to the relying party, which validates the ID token, its `vot`
// and the coreIdentityJWT's signature. Then "Your account" (and in Welsh), and signing out,
// which reaches the relying party's back-channel logout endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Page } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { axeReport, CHROMIUM, newPage, pageProblems, type Harness } from './browser.js';
import { authRequest, exchange, relyingParty, startApp, type RelyingParty, type Running } from '../../src/modules/identity/testing.js';
import { DEMO_RECORDS, totp } from '../../src/modules/identity/index.js';

const CORE = 'https://vocab.account.gov.uk/v1/coreIdentityJWT';
let run: Running;
let h: Harness;
let rp: RelyingParty;
let rpServer: Server;
const logoutTokens: string[] = [];

beforeAll(async () => {
  rpServer = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/backchannel') {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.end();
      });
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      '<!DOCTYPE html><html lang="en"><head><title>Relying party</title></head><body><main><h1>Back at the service</h1></main></body></html>',
    );
  });
  await new Promise<void>((r) => rpServer.listen(0, '127.0.0.1', r));
  const rpBase = `http://127.0.0.1:${(rpServer.address() as AddressInfo).port}`;
  run = await startApp();
  rp = await relyingParty(run, {
    claims: [CORE],
    maxIdentityLevel: 'P2',
    redirectUri: `${rpBase}/callback`,
    postLogoutRedirectUri: `${rpBase}/signed-out`,
    backchannelLogoutUri: `${rpBase}/backchannel`,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  h = {
    built: run.built,
    baseUrl: run.baseUrl,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await run.close();
    },
  };
});
afterAll(async () => {
  await h?.close();
  await new Promise((r) => rpServer?.close(r));
});

async function step(page: Page, where: string, button: string | RegExp, fill: () => Promise<void> = async () => {}) {
  expect(await axeReport(page, where)).toBe('');
  await fill();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button }).click()]);
}

describe('identity in a browser', () => {
  it('creates an account, sets up an authenticator app, proves identity and returns to the relying party', async () => {
    const { context, page } = await newPage(h);
    try {
      const email = 'browser.citizen@example.org';
      const req = await authRequest(rp, { vtr: '["Cl.Cm.P2"]', claims: JSON.stringify({ userinfo: { [CORE]: null } }) });
      await page.goto(req.url.href);
      expect(new URL(page.url()).pathname).toBe('/identity/sign-in');
      expect(await axeReport(page, 'sign in')).toBe('');
      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Create a Cityscape account' }).click()]);

      // An empty email shows the error summary.
      await step(page, 'create account: email', 'Continue');
      expect(await page.title()).toMatch(/^Error:/);
      await step(page, 'create account: email with an error', 'Continue', () => page.getByLabel('Email address').fill(email));
      const code = run.built.modules.identity.outbox.lastCode(email)!;
      await step(page, 'check your email', 'Continue', () => page.getByLabel('Security code').fill(code));
      await step(page, 'create your password', 'Create account', async () => {
        await page.getByLabel('Create a password').fill('browser test 99');
        await page.getByLabel('Confirm your password').fill('browser test 99');
      });
      await step(page, 'choose how to get security codes', 'Continue', () => page.getByLabel('Use an authenticator app').check());
      // The QR code is drawn on the server: an image that has loaded, beside the key as text.
      expect(await page.locator('#secret-qr').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
      const secret = (await page.locator('#secret-key').innerText()).replace(/\s+/g, '');
      await step(page, 'set up an authenticator app', 'Continue', () => page.getByLabel('Security code from the app').fill(totp(secret)));
      await step(page, 'prove your identity', 'Continue', () => page.getByLabel('UK passport').check());
      const p = DEMO_RECORDS[0];
      const [by, bm, bd] = p.birth_date.split('-');
      const [ey, em, ed] = p.expiry_date.split('-');
      // A wrong surname is not matched.
      await step(page, 'passport details', 'Check my details', async () => {
        await page.getByLabel('Passport number').fill(p.document_number);
        await page.getByLabel('Given names').fill(p.given_name);
        await page.getByLabel('Surname').fill('Someone-Else');
        const birth = page.getByRole('group', { name: 'Date of birth' });
        await birth.getByLabel('Day').fill(String(Number(bd)));
        await birth.getByLabel('Month').fill(String(Number(bm)));
        await birth.getByLabel('Year').fill(by);
        const expiry = page.getByRole('group', { name: 'Expiry date' });
        await expiry.getByLabel('Day').fill(String(Number(ed)));
        await expiry.getByLabel('Month').fill(String(Number(em)));
        await expiry.getByLabel('Year').fill(ey);
      });
      expect(await page.locator('.govuk-error-summary').innerText()).toContain('We could not match these details');
      await step(page, 'passport details not matched', 'Check my details', () => page.getByLabel('Surname').fill(p.family_name));
      expect(await page.locator('h1').innerText()).toContain('You have proved your identity');
      expect(new URL(page.url()).pathname).toBe('/identity/prove/done');
      expect(await axeReport(page, 'identity proved')).toBe('');
      expect(pageProblems(page)).toEqual([]);
      await Promise.all([page.waitForURL((u) => u.pathname === '/callback'), page.getByRole('button', { name: 'Continue' }).click()]);

      // The relying party: ID token with vot, and a coreIdentityJWT verifiable from the DID document.
      const tokens = await exchange(rp, req, page.url());
      const claims = tokens.claims()!;
      expect(claims.vot).toBe('Cl.Cm');
      const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
      const jwt = info[CORE] as string;
      const did = await (await fetch(`${run.issuer}/did.json`)).json();
      const key = did.assertionMethod.find((m: { id: string }) => m.id === decodeProtectedHeader(jwt).kid).publicKeyJwk;
      const { payload } = await jwtVerify(jwt, await importJWK(key, 'ES256'), {
        issuer: run.issuer,
        audience: rp.clientId,
        subject: claims.sub,
      });
      expect(payload.vot).toBe('P2');
      expect((payload.vc as { credentialSubject: { birthDate: Array<{ value: string }> } }).credentialSubject.birthDate[0].value).toBe(
        p.birth_date,
      );

      // Your account, in English and Welsh.
      await page.goto('/identity/account');
      expect(await page.locator('h1').innerText()).toBe('Your account');
      expect(await page.locator('main').innerText()).toContain('Proved');
      expect(await page.locator('main').innerText()).not.toMatch(/\bP[0-2]\b/);
      expect(await page.locator('main').innerText()).toContain('Apply for a Blue Badge (test)');
      expect(await axeReport(page, 'your account')).toBe('');
      await page.goto('/identity/account?lang=cy');
      expect(await page.locator('h1').innerText()).toBe('Eich cyfrif');
      expect(await axeReport(page, 'your account in Welsh')).toBe('');
      await page.goto('/identity/account?lang=en');

      // Signing out from the relying party: without an id_token_hint, a confirmation page …
      const signedOut = rp.redirectUri.replace('/callback', '/signed-out');
      await page.goto(oidc.buildEndSessionUrl(rp.config, { client_id: rp.clientId, post_logout_redirect_uri: signedOut }).href);
      expect(await page.locator('h1').innerText()).toBe('Sign out');
      expect(await axeReport(page, 'sign out confirmation')).toBe('');
      expect(pageProblems(page)).toEqual([]);
      // … with this session's ID token, signed out and straight back, and the back channel told.
      const before = logoutTokens.length;
      await page.goto(oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: signedOut }).href);
      expect(new URL(page.url()).pathname).toBe('/signed-out');
      expect(logoutTokens.length).toBe(before + 1);
      // Signed out here too: the account page asks to sign in.
      await page.goto('/identity/account');
      expect(new URL(page.url()).pathname).toBe('/identity/sign-in');

      // Coming back: password and a security code (the app's next one: each works once), then
      // straight back to the service — the forms post here and the redirects lead there.
      const again = await authRequest(rp, { vtr: '["Cl.Cm.P2"]' });
      await page.goto(again.url.href);
      await step(page, 'sign in again', 'Sign in', async () => {
        await page.getByLabel('Email address').fill(email);
        await page.getByLabel('Password', { exact: true }).fill('browser test 99');
      });
      expect(new URL(page.url()).pathname).toBe('/identity/sign-in/code');
      expect(await axeReport(page, 'enter the security code')).toBe('');
      await page.getByLabel('Security code').fill(totp(secret, Date.now() + 30_000));
      await Promise.all([page.waitForURL((u) => u.pathname === '/callback'), page.getByRole('button', { name: 'Continue' }).click()]);
      expect((await exchange(rp, again, page.url())).claims()!.sub).toBe(claims.sub);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
