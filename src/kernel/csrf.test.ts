// CSRF tokens bound to the session: a CSRF cookie planted from a sibling origin (whose token
// the planter got for itself) cannot act in the victim's session; forms rendered before a
// sign-in still work for what needs no session, and forms rendered in the response that
// starts a session are bound to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, cookieHeader, formBrowser, type TestApp } from '../../test/helpers.js';

let t: TestApp;
const PASSWORD = 'a long enough password';
const ADMIN = 'csrf.admin@example.org';

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  await t.modules.catalogue.service.createStaff(cli, { email: ADMIN, password: PASSWORD, role: 'platform_admin' });
});
afterAll(() => t.close());

async function staffBrowser() {
  const b = formBrowser(t);
  await b.get('/admin/sign-in');
  const res = await b.post('/admin/sign-in', { email: ADMIN, password: PASSWORD });
  expect(res.statusCode).toBe(303);
  await b.get('/admin/organisations/new');
  return b;
}
const organisation = (slug: string) => ({ slug, name: `Org ${slug}`, kind: 'local_authority' });
const exists = async (slug: string) =>
  (await t.kernel.db.query('SELECT 1 FROM catalogue.organisations WHERE slug = $1', [slug])).rows.length > 0;

describe('CSRF tokens bound to the session', () => {
  it("do not let a CSRF cookie planted from a sibling origin act in someone's session", async () => {
    // The attacker's own browser: a CSRF cookie and a valid token for it.
    const attacker = formBrowser(t);
    await attacker.get('/admin/sign-in');
    expect(attacker.jar.cs_csrf && attacker.csrf).toBeTruthy();

    // The victim is signed in; the attacker's cookie is planted in the victim's browser
    // (Domain=.example.gov.uk from a sibling sub-domain), then a cross-site form posts with
    // the attacker's token.
    const victim = await staffBrowser();
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/organisations',
      remoteAddress: '10.9.9.9',
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        cookie: cookieHeader({ ...victim.jar, cs_csrf: attacker.jar.cs_csrf }),
      },
      payload: new URLSearchParams({ _csrf: attacker.csrf, ...organisation('planted-cookie-org') }).toString(),
    });
    expect(await exists('planted-cookie-org')).toBe(false);
    expect(res.headers.location ?? '').toMatch(/^\/admin\/sign-in/); // handled as if signed out
    // The victim's own form still works, in the victim's session.
    const own = await victim.post('/admin/organisations', organisation('own-form-org'));
    expect(own.statusCode, own.body.slice(0, 300)).toBe(303);
    expect(await exists('own-form-org')).toBe(true);
  });

  it('refuse a token from another browser and its session', async () => {
    const a = await staffBrowser();
    const b = await staffBrowser();
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/organisations',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(b.jar) },
      payload: new URLSearchParams({ _csrf: a.csrf, ...organisation('other-browser-org') }).toString(),
    });
    expect(res.statusCode).toBe(403);
    expect(await exists('other-browser-org')).toBe(false);
  });

  it('accept a form rendered before a sign-in, without the session it did not know', async () => {
    const b = formBrowser(t);
    const page = await b.get('/services/apply-for-a-blue-badge');
    expect(page.statusCode).toBe(200);
    const beforeSignIn = b.csrf;
    await b.get('/admin/sign-in'); // another tab: sign in (a new session id)
    await b.post('/admin/sign-in', { email: ADMIN, password: PASSWORD });
    expect(b.jar.cs_session).toBeTruthy();
    b.csrf = beforeSignIn;
    const feedback = await b.post('/services/apply-for-a-blue-badge/feedback', { rating: '5' });
    expect(feedback.statusCode, feedback.body.slice(0, 300)).toBe(303);
    expect(feedback.headers.location).toContain('/feedback/thanks');
  });

  it('bind a form to the session its own response starts, and accept the page token in a header', async () => {
    const email = `csrf.${Date.now()}@example.org`;
    await t.modules.identity.accounts.createAccount(email, 'correct horse 42 battery');
    const b = formBrowser(t);
    // This page starts a session (to remember where to return) and renders the sign-in form.
    const page = await b.get('/identity/sign-in?return_to=/services/apply-for-a-blue-badge');
    expect(page.statusCode).toBe(200);
    expect(b.jar.cs_session).toBeTruthy();
    const res = await b.post('/identity/sign-in', { email, password: 'correct horse 42 battery' });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    expect(res.headers.location).toBe('/services/apply-for-a-blue-badge'); // the session it was rendered in was kept

    const account = await b.get('/identity/account');
    expect(account.statusCode).toBe(200);
    const token = /<meta name="csrf-token" content="([^"]+)"/.exec(account.body)![1];
    const json = await t.app.inject({
      method: 'POST',
      url: '/identity/sign-out',
      headers: { cookie: cookieHeader(b.jar), 'x-csrf-token': token, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(json.statusCode).toBe(303);
  });
});
