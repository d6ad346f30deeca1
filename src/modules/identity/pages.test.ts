// Identity's pages as a citizen sent by a relying service sees them: the service they came
// from named (its catalogue name, in Welsh too), a QR code drawn on the server that an
// authenticator app can scan, the proving success page at its own address (POST-redirect-GET),
// and no "P1"/"P2" jargon anywhere, in English or Welsh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jsqr from 'jsqr'; // CommonJS: its function is also its `default`
import { authRequest, Browser, demoPassportForm, relyingParty, startApp, type RelyingParty, type Running } from './testing.js';
import { totp } from './totp.js';

let run: Running;
let blueBadge: RelyingParty;
let councilTax: RelyingParty;

beforeAll(async () => {
  run = await startApp();
  blueBadge = await relyingParty(run, { maxIdentityLevel: 'P2' });
  councilTax = await relyingParty(run, { serviceSlug: 'pay-council-tax', redirectUri: 'http://127.0.0.1:9/council-tax' });
});
afterAll(async () => {
  await run?.close();
});

/** Visible text of a page: no tags, scripts or attribute values. */
const visible = (html: string) =>
  html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
const JARGON = /\b(P[0-4]|Cl\.Cm|Cl)\b/;

/** Reads a QR code from a PNG data URI, as a phone's camera would from the screen. */
function scan(dataUri: string): string | null {
  const png = PNG.sync.read(Buffer.from(dataUri.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsqr.default(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

async function signIn(b: Browser, rp: RelyingParty, email: string, params: Record<string, string> = {}) {
  await run.built.modules.identity.accounts.createAccount(email, 'pages test 42');
  const start = await b.go((await authRequest(rp, params)).url.href);
  return { start, page: await b.submit('/identity/sign-in', { email, password: 'pages test 42' }) };
}

describe('identity pages', () => {
  it("name the relying service's catalogue name on sign-in, create-account and proving pages", async () => {
    const b = new Browser(run.baseUrl);
    const start = await b.go((await authRequest(blueBadge)).url.href);
    expect(start.url).toContain('/identity/sign-in?uid=');
    expect(visible(start.body)).toContain('Sign in to continue to Apply for a Blue Badge.');
    expect(start.body).not.toContain('(test)'); // the catalogue's name, not the client's
    const uid = /uid=([^&]+)/.exec(start.url)![1];
    const create = await b.go(`/identity/create-account?uid=${uid}`);
    expect(visible(create.body)).toContain('Create a Cityscape account to continue to Apply for a Blue Badge.');
    // Welsh: the service's Welsh name.
    const cy = new Browser(run.baseUrl);
    const welsh = await cy.go((await authRequest(councilTax, { ui_locales: 'cy' })).url.href);
    expect(visible(welsh.body)).toContain('Mewngofnodwch i barhau i Talu eich treth gyngor.');
    // Outside an authorization nothing is named.
    const plain = await new Browser(run.baseUrl).go('/identity/sign-in');
    expect(plain.body).not.toContain('continue to');
  });

  it('sets up an authenticator app from a QR code drawn on the server, with the key as text beside it', async () => {
    const b = new Browser(run.baseUrl);
    const email = 'qr.code@example.org';
    const { page } = await signIn(b, blueBadge, email, { vtr: '["Cl.Cm"]' });
    expect(page.url).toContain('/identity/two-factor?uid=');
    const app = await b.submit('/identity/two-factor', { method: 'app' });
    const img = /<img id="secret-qr" src="(data:image\/png;base64,[^"]+)"[^>]*alt="([^"]+)"/.exec(app.body);
    expect(img, 'a QR code image in the page itself').toBeTruthy();
    expect(img![2]).toContain('QR code');
    const key = /id="secret-key">([^<]+)</.exec(app.body)![1].replace(/\s+/g, '');
    const uri = scan(img![1]);
    expect(uri).toBe(
      `otpauth://totp/Cityscape%3A${encodeURIComponent(email)}?secret=${key}&issuer=Cityscape&algorithm=SHA1&digits=6&period=30`,
    );
    // The scanned key works: the app's code sets the second factor up.
    const secret = new URL(uri!).searchParams.get('secret')!;
    const done = await b.submit('/identity/two-factor/app', { code: totp(secret) });
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });

  it('shows the proving success page at its own address, with no identity-level jargon, in English and Welsh', async () => {
    const b = new Browser(run.baseUrl);
    const { page: twoFactor } = await signIn(b, blueBadge, 'proving.prg@example.org', { vtr: '["Cl.Cm.P2"]' });
    await b.submit('/identity/two-factor', { method: 'app' }, twoFactor.body);
    const key = /id="secret-key">([^<]+)</.exec(b.last)![1].replace(/\s+/g, '');
    const prove = await b.submit('/identity/two-factor/app', { code: totp(key) });
    expect(prove.url).toContain('/identity/prove?uid=');
    expect(visible(prove.body)).toContain('Apply for a Blue Badge needs to be sure you are who you say you are.');
    expect(visible(prove.body)).not.toMatch(JARGON);

    await b.submit('/identity/prove', { document: 'passport' });
    const posted = await b.request('POST', '/identity/prove/passport', {
      _csrf: /name="_csrf" value="([^"]+)"/.exec(b.last)![1],
      uid: /name="uid" value="([^"]+)"/.exec(b.last)![1],
      ...demoPassportForm(),
    });
    expect(posted.status).toBe(303);
    const doneUrl = posted.headers.get('location')!;
    expect(doneUrl).toMatch(/^\/identity\/prove\/done\?uid=/);
    const done = await b.go(doneUrl);
    expect(done.status).toBe(200);
    expect(visible(done.body)).toContain('You have proved your identity');
    expect(visible(done.body)).toContain('Continue to Apply for a Blue Badge');
    expect(visible(done.body)).not.toMatch(JARGON);
    // Reloading it changes nothing and still leads back to the service.
    const again = await b.go(doneUrl);
    expect(again.body).toContain(`href="/identity/interaction/`);
    const welshDone = await b.go(`${doneUrl}&lang=cy`);
    expect(visible(welshDone.body)).toContain('Rydych wedi profi pwy ydych chi');
    expect(visible(welshDone.body)).not.toMatch(JARGON);

    // "Your account" and the proving pages say it in plain words too, in both languages.
    for (const lang of ['en', 'cy']) {
      for (const path of ['/identity/account', '/identity/prove', '/identity/prove/passport', '/identity/prove/driving-licence']) {
        const res = await b.go(`${path}?lang=${lang}`);
        expect(res.status, `${path} ${lang}`).toBe(200);
        expect(visible(res.body), `${path} ${lang}`).not.toMatch(JARGON);
      }
    }
  });
});
