// identity.citizen(req), signInPath and provePath: how other modules' citizen pages (your data,
// forms, consultations) sign a citizen in and get them back to where they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, signedInCitizen, startApp, type Running } from './testing.js';

describe('signing in for another Cityscape page', () => {
  let run: Running;
  beforeAll(async () => {
    run = await startApp({
      routes: (app) => {
        app.get('/test/who', async (req) => (await run.built.modules.identity.citizen(req)) ?? { signedIn: false });
      },
    });
  });
  afterAll(() => run.close());

  it('comes back to the page that asked, and that page sees who is signed in', async () => {
    const anon = await new Browser(run.baseUrl).go('/test/who');
    expect(JSON.parse(anon.body)).toEqual({ signedIn: false });

    const { browser, accountId, email, url } = await signedInCitizen(run, { back: '/test/who?x=1' });
    expect(url).toBe(`${run.baseUrl}/test/who?x=1`);
    const me = JSON.parse(browser.last);
    expect(me).toMatchObject({ accountId, email, signInLevel: 'Cl', identityLevel: 'P0' });
  });

  it('proves identity on the way when asked, and still comes back', async () => {
    const { browser, url } = await signedInCitizen(run, { back: '/test/who', prove: true });
    expect(url).toBe(`${run.baseUrl}/test/who`);
    expect(JSON.parse(browser.last)).toMatchObject({ signInLevel: 'Cl.Cm', identityLevel: 'P2', familyName: expect.any(String) });
  });

  it('never sends anyone off the site, whatever return_to says', async () => {
    // A NUL never reaches the page: the kernel refuses it at the edge (kernel/input.ts).
    const nul = await new Browser(run.baseUrl).go(`/identity/sign-in?return_to=${encodeURIComponent('/ok\u0000')}`);
    expect(nul.status).toBe(400);
    for (const evil of ['https://evil.example/x', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const email = `evil.${Math.random().toString(36).slice(2, 8)}@example.org`;
      await run.built.modules.identity.accounts.createAccount(email, 'correct horse 42 battery');
      const b = new Browser(run.baseUrl);
      await b.go(`/identity/sign-in?return_to=${encodeURIComponent(evil)}`);
      const page = await b.submit('/identity/sign-in', { email, password: 'correct horse 42 battery' });
      expect(page.location).toBeUndefined();
      expect(page.url).toBe(`${run.baseUrl}/identity/account`);
    }
  });
});
