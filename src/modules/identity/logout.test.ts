// RP-initiated logout as a One Login relying service sees it: with a valid id_token_hint from
// the browser's own session the person is signed out and sent back at once; without one (or
// with another session's), they are asked first; a forged hint is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { authRequest, Browser, exchange, relyingParty, startApp, type RelyingParty, type Running } from './testing.js';

let run: Running;
let rp: RelyingParty;

beforeAll(async () => {
  run = await startApp();
  rp = await relyingParty(run);
});
afterAll(async () => {
  await run?.close();
});

/** A browser signed in to the relying service (password only), with its ID token. */
async function signedInToService(email: string) {
  await run.built.modules.identity.accounts.createAccount(email, 'logout test 42').catch(() => undefined);
  const b = new Browser(run.baseUrl);
  const req = await authRequest(rp, { vtr: '["Cl"]' });
  await b.go(req.url.href);
  const page = await b.submit('/identity/sign-in', { email, password: 'logout test 42' });
  expect(page.location).toMatch(/\?code=/);
  const tokens = await exchange(rp, req, page.location!);
  return { b, idToken: tokens.id_token!, accessToken: tokens.access_token, sub: tokens.claims()!.sub };
}

const logoutUrl = (params: Record<string, string>) =>
  oidc.buildEndSessionUrl(rp.config, { post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out', state: 'bye', ...params }).href;

describe('RP-initiated logout', () => {
  it('signs out and redirects at once with a valid id_token_hint of this session', async () => {
    const { b, idToken, accessToken, sub } = await signedInToService('at.once@example.org');
    const res = await b.go(logoutUrl({ id_token_hint: idToken }));
    expect(res.status).toBe(303);
    expect(res.location).toBe('http://127.0.0.1:9/signed-out?state=bye');
    // Signed out of the provider and of Cityscape: tokens revoked, the next authorization asks again.
    await expect(oidc.fetchUserInfo(rp.config, accessToken, sub)).rejects.toThrow();
    expect(b.cookie('cs_oidc_session')).toBeUndefined();
    const again = await b.go((await authRequest(rp, { vtr: '["Cl"]' })).url.href);
    expect(again.url).toContain('/identity/sign-in?uid=');
    expect((await b.go('/identity/account')).url).toContain('/identity/sign-in');
  });

  it('asks first when there is no id_token_hint, and signs out when confirmed', async () => {
    const { b, accessToken, sub } = await signedInToService('no.hint@example.org');
    const page = await b.go(logoutUrl({ client_id: rp.clientId }));
    expect(page.status).toBe(200);
    expect(page.body).toContain('action="http://127.0.0.1');
    const done = await b.submit(`${run.issuer}/logout/confirm`);
    expect(done.location).toBe('http://127.0.0.1:9/signed-out?state=bye');
    await expect(oidc.fetchUserInfo(rp.config, accessToken, sub)).rejects.toThrow();
  });

  it("asks first when the hint is another session's ID token", async () => {
    const other = await signedInToService('other.session@example.org');
    const { b, accessToken, sub } = await signedInToService('this.session@example.org');
    const page = await b.go(logoutUrl({ id_token_hint: other.idToken }));
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="xsrf"');
    // Nothing has ended yet, for either browser.
    expect(await oidc.fetchUserInfo(rp.config, accessToken, sub)).toMatchObject({ sub });
    expect(await oidc.fetchUserInfo(rp.config, other.accessToken, other.sub)).toMatchObject({ sub: other.sub });
  });

  it('refuses a forged id_token_hint without signing anyone out', async () => {
    const { b, idToken, accessToken, sub } = await signedInToService('forged.hint@example.org');
    const [h, p] = idToken.split('.');
    const res = await b.go(logoutUrl({ id_token_hint: `${h}.${p}.${'A'.repeat(86)}` }));
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
    expect(await oidc.fetchUserInfo(rp.config, accessToken, sub)).toMatchObject({ sub });
  });
});
