// Bad input and attacks: every OAuth error in the standard shape (and an unregistered
// redirect_uri never redirected to), client assertion replay, sign-in lockout, one-time codes
// that work once and expire, a new session id at sign-in, and "sign out everywhere".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { authRequest, Browser, errorSummary, exchange, relyingParty, startApp, type RelyingParty, type Running } from './testing.js';

let run: Running;
let rp: RelyingParty; // private_key_jwt, may ask for P2
let plain: RelyingParty; // client_secret_post, sign-in only

beforeAll(async () => {
  run = await startApp();
  rp = await relyingParty(run, { claims: ['https://vocab.account.gov.uk/v1/coreIdentityJWT'], maxIdentityLevel: 'P2' });
  plain = await relyingParty(run, {
    auth: 'client_secret_post',
    serviceSlug: 'apply-for-a-blue-badge',
    redirectUri: 'http://127.0.0.1:9/plain',
  });
});
afterAll(async () => {
  await run?.close();
});

// Errors come back in the query, or in the fragment for a response type that would use one.
const errorOf = (location: string | null) => {
  const u = new URL(location!);
  return Object.fromEntries(u.searchParams.has('error') ? u.searchParams : new URLSearchParams(u.hash.slice(1)));
};

async function raw(url: string) {
  return fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
}

describe('authorization errors', () => {
  it('shows an error page, and never redirects, for an unregistered redirect_uri or an unknown client', async () => {
    const req = await authRequest(rp);
    req.url.searchParams.set('redirect_uri', 'https://evil.example/callback');
    const res = await raw(req.url.href);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('There is a problem with the link from the service');
    expect(html).not.toMatch(/href="https?:\/\/evil/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

    req.url.searchParams.set('client_id', 'no-such-client');
    req.url.searchParams.set('redirect_uri', rp.redirectUri);
    const unknown = await raw(req.url.href);
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
  });

  it('answers bad requests with the standard error on the redirect_uri', async () => {
    const cases: Array<[Record<string, string | null>, string, RegExp?]> = [
      [{ nonce: null }, 'invalid_request', /nonce/],
      [{ vtr: '["Cl.P2"]' }, 'invalid_request', /vtr/],
      [{ vtr: 'not json' }, 'invalid_request', /vtr/],
      [{ vtr: '["Cl.Cm.P2","Cl"]' }, 'invalid_request', /vtr/],
      [{ code_challenge: null, code_challenge_method: null }, 'invalid_request', /PKCE/],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'email' }, 'invalid_request', /openid/],
    ];
    for (const [params, error, description] of cases) {
      const req = await authRequest(rp);
      for (const [k, v] of Object.entries(params)) {
        if (v === null) req.url.searchParams.delete(k);
        else req.url.searchParams.set(k, v);
      }
      const res = await raw(req.url.href);
      expect(res.status, JSON.stringify(params)).toBe(303);
      const e = errorOf(res.headers.get('location'));
      expect(res.headers.get('location')!.startsWith(rp.redirectUri), JSON.stringify(params)).toBe(true);
      expect(e.error, JSON.stringify(params)).toBe(error);
      expect(e.state).toBe(req.state);
      if (description) expect(e.error_description).toMatch(description);
    }
  });

  it('refuses identity levels and claims the relying service may not ask for', async () => {
    const p2 = await authRequest(plain, { vtr: '["Cl.Cm.P2"]' });
    expect(errorOf((await raw(p2.url.href)).headers.get('location'))).toMatchObject({
      error: 'invalid_request',
      error_description: 'Request vtr not valid',
    });
    const claims = await authRequest(plain, {
      claims: JSON.stringify({ userinfo: { 'https://vocab.account.gov.uk/v1/coreIdentityJWT': null } }),
    });
    expect(errorOf((await raw(claims.url.href)).headers.get('location'))).toMatchObject({
      error: 'invalid_request',
      error_description: 'Request contains invalid claims',
    });
    const phone = await authRequest(plain, { scope: 'openid address' });
    expect((await raw(phone.url.href)).status).toBe(303);
  });
});

describe('token and userinfo errors', () => {
  it('uses the standard JSON errors and rejects a replayed client assertion', async () => {
    const token = `${run.issuer}/token`;
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: rp.kid })
      .setIssuer(rp.clientId)
      .setSubject(rp.clientId)
      .setAudience(token)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(rp.privateKey!);
    const post = (body: Record<string, string>) =>
      fetch(token, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
    const body = {
      grant_type: 'authorization_code',
      code: 'not-a-code',
      redirect_uri: rp.redirectUri,
      code_verifier: 'x'.repeat(43),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    };
    const first = await post(body);
    expect(first.status).toBe(400);
    expect(await first.json()).toMatchObject({ error: 'invalid_grant' });
    const replay = await post(body);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_client' });

    const wrongSecret = await post({ grant_type: 'authorization_code', code: 'x', client_id: plain.clientId, client_secret: 'wrong' });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });

    const info = await fetch(`${run.issuer}/userinfo`, { headers: { authorization: 'Bearer nope' } });
    expect(info.status).toBe(401);
    expect(await info.json()).toMatchObject({ error: 'invalid_token' });
  });
});

describe('accounts', () => {
  it('locks an account after repeated wrong passwords', async () => {
    await run.built.modules.identity.accounts.createAccount('lock.me@example.org', 'right password 1');
    const b = new Browser(run.baseUrl);
    await b.go('/identity/sign-in');
    for (let i = 0; i < 4; i++) {
      const r = await b.submit('/identity/sign-in', { email: 'lock.me@example.org', password: `wrong password ${i}` });
      expect(r.status).toBe(400);
      expect(errorSummary(r.body)).toEqual(['Enter the correct email address and password']);
    }
    const fifth = await b.submit('/identity/sign-in', { email: 'lock.me@example.org', password: 'wrong password 5' });
    expect(fifth.status).toBe(429);
    expect(errorSummary(fifth.body)[0]).toMatch(/too many times/);
    const right = await b.submit('/identity/sign-in', { email: 'lock.me@example.org', password: 'right password 1' });
    expect(right.status).toBe(429);
  });

  it('sends codes that work once, for a limited number of tries, and not after they expire', async () => {
    const accounts = run.built.modules.identity.accounts;
    const outbox = run.built.modules.identity.outbox;
    await accounts.startRegistration('codes@example.org', 'en');
    const code = outbox.lastCode('codes@example.org')!;
    await accounts.checkCode('confirm_email', 'codes@example.org', code);
    await expect(accounts.checkCode('confirm_email', 'codes@example.org', code)).rejects.toMatchObject({ code: 'codeExpired' });

    await accounts.startRegistration('codes@example.org', 'en');
    const second = outbox.lastCode('codes@example.org')!;
    const wrong = second === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++)
      await expect(accounts.checkCode('confirm_email', 'codes@example.org', wrong)).rejects.toMatchObject({ code: 'codeWrong' });
    await expect(accounts.checkCode('confirm_email', 'codes@example.org', wrong)).rejects.toMatchObject({ code: 'codeTooManyAttempts' });
    await expect(accounts.checkCode('confirm_email', 'codes@example.org', second)).rejects.toMatchObject({ code: 'codeTooManyAttempts' });

    await accounts.startRegistration('codes@example.org', 'en');
    const third = outbox.lastCode('codes@example.org')!;
    await run.built.kernel.db.query(
      `UPDATE identity.codes SET expires_at = now() - interval '1 second' WHERE subject = 'codes@example.org'`,
    );
    await expect(accounts.checkCode('confirm_email', 'codes@example.org', third)).rejects.toMatchObject({ code: 'codeExpired' });

    // At most five codes in 15 minutes (three sent above).
    await accounts.startRegistration('codes@example.org', 'en');
    await accounts.startRegistration('codes@example.org', 'en');
    await expect(accounts.startRegistration('codes@example.org', 'en')).rejects.toMatchObject({ code: 'tooManyCodes', status: 429 });
  });

  it('gives a new session id at sign-in, and enforces the password rules', async () => {
    const b = new Browser(run.baseUrl);
    await b.go('/identity/create-account');
    let page = await b.submit('/identity/create-account', { email: 'fixation@example.org' });
    const before = b.cookie('cs_session');
    expect(before).toBeTruthy();
    page = await b.submit('/identity/create-account/code', { code: run.built.modules.identity.outbox.lastCode('fixation@example.org')! });
    for (const [password, message] of [
      ['short1', /at least 8/],
      ['onlyletters', /letters and numbers/],
      ['password1', /stronger/],
    ] as const) {
      const r = await b.submit('/identity/create-account/password', { password, confirm: password });
      expect(r.status).toBe(400);
      expect(errorSummary(r.body)[0]).toMatch(message);
    }
    page = await b.submit('/identity/create-account/password', { password: 'good password 7', confirm: 'good password 7' });
    expect(page.url).toContain('/identity/two-factor');
    const after = b.cookie('cs_session');
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    // The old session id no longer names a session.
    const stale = await fetch(`${run.baseUrl}/identity/account`, { redirect: 'manual', headers: { cookie: `cs_session=${before}` } });
    expect(stale.headers.get('location')).toBe('/identity/sign-in');
  });

  it('resets a forgotten password with an emailed code, and signs other browsers out', async () => {
    const email = 'forgetful@example.org';
    await run.built.modules.identity.accounts.createAccount(email, 'old password 11');
    const other = new Browser(run.baseUrl);
    await other.go('/identity/sign-in');
    await other.submit('/identity/sign-in', { email, password: 'old password 11' });
    expect((await other.go('/identity/account')).status).toBe(200);

    const b = new Browser(run.baseUrl);
    await b.go('/identity/forgotten-password');
    let page = await b.submit('/identity/forgotten-password', { email });
    expect(page.url).toContain('/identity/forgotten-password/code');
    // Someone without an account sees the same page (no account enumeration) and gets no email.
    const stranger = new Browser(run.baseUrl);
    await stranger.go('/identity/forgotten-password');
    expect((await stranger.submit('/identity/forgotten-password', { email: 'nobody@example.org' })).url).toContain(
      '/identity/forgotten-password/code',
    );
    expect(run.built.modules.identity.outbox.lastCode('nobody@example.org')).toBeNull();

    page = await b.submit('/identity/forgotten-password/code', { code: run.built.modules.identity.outbox.lastCode(email)! });
    page = await b.submit('/identity/forgotten-password/new', { password: 'new password 22', confirm: 'new password 22' });
    expect(page.url).toContain('/identity/account');
    expect((await other.go('/identity/account')).url).toContain('/identity/sign-in');
    const fresh = new Browser(run.baseUrl);
    await fresh.go('/identity/sign-in');
    expect((await fresh.submit('/identity/sign-in', { email, password: 'old password 11' })).status).toBe(400);
    expect((await fresh.submit('/identity/sign-in', { email, password: 'new password 22' })).url).toContain('/identity/account');
  });

  it('lists the services signed in to, and disconnects one', async () => {
    const email = 'disconnect@example.org';
    await run.built.modules.identity.accounts.createAccount(email, 'disconnect pass 3');
    const b = new Browser(run.baseUrl);
    const req = await authRequest(plain, { vtr: '["Cl"]' });
    await b.go(req.url.href);
    const r = await b.submit('/identity/sign-in', { email, password: 'disconnect pass 3' });
    const tokens = await exchange(plain, req, r.location!);
    const account = await b.go('/identity/account');
    expect(account.body).toContain('Apply for a Blue Badge (test)');
    const confirm = await b.go(`/identity/account/services/${plain.clientId}/disconnect`);
    expect(confirm.status).toBe(200);
    const done = await b.submit(`/identity/account/services/${plain.clientId}/disconnect`);
    expect(done.url).toContain('done=disconnected');
    expect(done.body).not.toContain('Apply for a Blue Badge (test)');
    await expect(oidc.fetchUserInfo(plain.config, tokens.access_token, tokens.claims()!.sub)).rejects.toThrow();
  });

  it('signs out everywhere: other browsers, provider sessions and tokens', async () => {
    const email = 'everywhere@example.org';
    await run.built.modules.identity.accounts.createAccount(email, 'everywhere pass 9');
    const signIn = async (b: Browser) => {
      const req = await authRequest(plain, { vtr: '["Cl"]', scope: 'openid email offline_access', prompt: 'consent' });
      await b.go(req.url.href);
      const r = await b.submit('/identity/sign-in', { email, password: 'everywhere pass 9' });
      expect(r.location).toMatch(/\?code=/);
      return exchange(plain, req, r.location!);
    };
    const one = new Browser(run.baseUrl);
    const two = new Browser(run.baseUrl);
    const t1 = await signIn(one);
    expect(t1.claims()!.vot).toBe('Cl');
    const t2 = await signIn(two);
    expect(t2.refresh_token).toBeTruthy();
    const sub = t2.claims()!.sub;
    await oidc.fetchUserInfo(plain.config, t2.access_token, sub);

    const account = await one.go('/identity/account');
    expect(account.status).toBe(200);
    await one.go('/identity/sign-out-everywhere');
    const out = await one.submit('/identity/sign-out-everywhere');
    expect(out.url).toContain('/identity/signed-out');

    await expect(oidc.fetchUserInfo(plain.config, t2.access_token, sub)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(plain.config, t2.refresh_token!)).rejects.toThrow();
    const again = await two.go((await authRequest(plain, { vtr: '["Cl"]' })).url.href);
    expect(again.url).toContain('/identity/sign-in?uid=');
    expect((await two.go('/identity/account')).url).toContain('/identity/sign-in');
  });
});
