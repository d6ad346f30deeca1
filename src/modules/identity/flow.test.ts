// The whole One Login-style flow through HTTP, with a real relying party (openid-client):
// private_key_jwt, PKCE and vtr ["Cl.Cm.P2"] — create an account, set up an authenticator
// app, prove identity with a passport — then the ID token's `vot`, the userinfo claims and
// the coreIdentityJWT's signature (checked against the published DID document). Then
// RP-initiated logout (at once, with this session's ID token) with back-channel logout to an
// endpoint this test runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { authRequest, Browser, exchange, newCitizenJourney, relyingParty, startApp, type RelyingParty, type Running } from './testing.js';
import { totp } from './totp.js';

const CORE = 'https://vocab.account.gov.uk/v1/coreIdentityJWT';
const ADDRESS = 'https://vocab.account.gov.uk/v1/address';
const PASSPORT = 'https://vocab.account.gov.uk/v1/passport';

let run: Running;
let rp: RelyingParty;
let logoutServer: Server;
const logoutTokens: string[] = [];

beforeAll(async () => {
  logoutServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((r) => logoutServer.listen(0, '127.0.0.1', r));
  run = await startApp();
  rp = await relyingParty(run, {
    claims: [CORE, ADDRESS, PASSPORT],
    maxIdentityLevel: 'P2',
    backchannelLogoutUri: `http://127.0.0.1:${(logoutServer.address() as AddressInfo).port}/backchannel`,
  });
});
afterAll(async () => {
  await run?.close();
  await new Promise((r) => logoutServer?.close(r));
});

describe('identity provider: One Login compatible flow', () => {
  it('publishes discovery, JWKS and the core identity DID document', async () => {
    const d = await (await fetch(`${run.issuer}/.well-known/openid-configuration`)).json();
    expect(d.issuer).toBe(run.issuer);
    expect(d.authorization_endpoint).toBe(`${run.issuer}/authorize`);
    expect(d.token_endpoint).toBe(`${run.issuer}/token`);
    expect(d.userinfo_endpoint).toBe(`${run.issuer}/userinfo`);
    expect(d.end_session_endpoint).toBe(`${run.issuer}/logout`);
    expect(d.jwks_uri).toBe(`${run.issuer}/.well-known/jwks.json`);
    expect(d.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_post']));
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    expect(d.response_types_supported).toEqual(['code']);
    expect(d.subject_types_supported).toEqual(['pairwise']);
    expect(d.backchannel_logout_supported).toBe(true);
    expect(d.claims_supported).toEqual(expect.arrayContaining(['vot', CORE, ADDRESS, 'email', 'phone_number']));
    expect(d.vtr_values_supported).toContain('Cl.Cm.P2');
    const jwks = await (await fetch(d.jwks_uri)).json();
    expect(jwks.keys.map((k: any) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(jwks.keys.every((k: any) => !k.d)).toBe(true);
    const did = await (await fetch(`${run.issuer}/.well-known/did.json`)).json();
    expect(did.id).toMatch(/^did:web:127\.0\.0\.1%3A\d+:identity$/);
    expect(did.assertionMethod[0].publicKeyJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(did.assertionMethod[0].publicKeyJwk.d).toBeUndefined();
  });

  it('signs a new citizen in with Cl.Cm.P2 and gives the relying party vot, claims and a verifiable coreIdentityJWT', async () => {
    const b = new Browser(run.baseUrl);
    const req = await authRequest(rp, {
      vtr: '["Cl.Cm.P2"]',
      scope: 'openid email phone',
      claims: JSON.stringify({ userinfo: { [CORE]: null, [ADDRESS]: null, [PASSPORT]: null } }),
    });
    const start = await b.go(req.url.href);
    expect(start.status).toBe(200);
    expect(start.url).toContain('/identity/sign-in?uid=');
    // Its forms may lead (through redirects) back to this service, and nowhere else.
    expect((await b.request('GET', start.url)).headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:9;");
    const { location, citizen } = await newCitizenJourney(b, run, start, 'alex.morgan@example.org');
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);

    const tokens = await exchange(rp, req, location!);
    const claims = tokens.claims()!;
    expect(claims.vot).toBe('Cl.Cm');
    expect(claims.vtm).toBe(`${run.issuer}/trustmark`);
    expect(claims.iss).toBe(run.issuer);
    expect(claims.aud).toBe(rp.clientId);
    expect(claims.sid).toBeTruthy();
    expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');
    // The service can name this person to the exchange by its sub: identity turns it back.
    const { rows } = await run.built.kernel.db.query<{ id: string }>('SELECT id::text FROM identity.accounts WHERE email = $1', [
      'alex.morgan@example.org',
    ]);
    const blueBadge = await run.built.modules.catalogue.service.getService('apply-for-a-blue-badge');
    expect(await run.built.modules.identity.resolveSubject(blueBadge.id, claims.sub)).toBe(rows[0].id);
    const kept = await run.built.kernel.db.query('SELECT 1 FROM identity.pairwise_subjects WHERE sub = $1', [claims.sub]);
    expect(kept.rows).toHaveLength(1);

    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
    expect(info.email).toBe('alex.morgan@example.org');
    expect(info.email_verified).toBe(true);
    expect((info[ADDRESS] as any[])[0]).toMatchObject({ uprn: 990000000101, postalCode: 'NT1 1AA' });
    expect((info[PASSPORT] as any[])[0]).toMatchObject({ documentNumber: '539184726', icaoIssuerCode: 'GBR' });

    // The coreIdentityJWT verifies with the key in the DID document its header names.
    const jwt = info[CORE] as string;
    const header = decodeProtectedHeader(jwt);
    expect(header.alg).toBe('ES256');
    const did = await (await fetch(`${run.issuer}/did.json`)).json();
    const method = did.assertionMethod.find((m: any) => m.id === header.kid);
    expect(method).toBeTruthy();
    const { payload } = await jwtVerify(jwt, await importJWK(method.publicKeyJwk, 'ES256'), {
      issuer: run.issuer,
      audience: rp.clientId,
      subject: claims.sub,
    });
    expect(payload.vot).toBe('P2');
    expect((payload.vc as any).credentialSubject.name[0].nameParts).toEqual([
      { type: 'GivenName', value: 'Alex' },
      { type: 'FamilyName', value: 'Morgan' },
    ]);
    expect((payload.vc as any).credentialSubject.birthDate).toEqual([{ value: '1985-03-14' }]);
    // … and with the plain JWKS, as a relying service without a DID resolver does (jose picks the
    // key by the header's kid, which is the JWKS kid as it stands).
    const coreJwks = await (await fetch(`${run.issuer}/.well-known/core-identity-jwks.json`)).json();
    expect(coreJwks.keys.map((k: any) => k.kid)).toContain(header.kid);
    const coreKeys = createRemoteJWKSet(new URL(`${run.issuer}/.well-known/core-identity-jwks.json`));
    const viaJwks = await jwtVerify(jwt, coreKeys, { issuer: run.issuer, audience: rp.clientId, subject: claims.sub });
    expect(viaJwks.payload.vot).toBe('P2');

    // Signed in already: a second authorization needs no pages at all.
    const again = await authRequest(rp, { vtr: '["Cl.Cm.P2"]' });
    const second = await b.go(again.url.href);
    expect(second.location).toMatch(/\?code=/);
    const tokens2 = await exchange(rp, again, second.location!);
    expect(tokens2.claims()!.sub).toBe(claims.sub);

    // RP-initiated logout with this session's ID token: signed out and sent back at once (as One
    // Login does), and the relying party hears about it on its back channel.
    const logout = oidc.buildEndSessionUrl(rp.config, {
      id_token_hint: tokens2.id_token!,
      post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out',
      state: 'bye',
    });
    const done = await b.go(logout.href);
    expect(done.status).toBe(303);
    expect(done.location).toBe('http://127.0.0.1:9/signed-out?state=bye');
    expect(logoutTokens.length).toBeGreaterThan(0);
    const { payload: lt } = await jwtVerify(logoutTokens.at(-1)!, createRemoteJWKSet(new URL(`${run.issuer}/.well-known/jwks.json`)), {
      issuer: run.issuer,
      audience: rp.clientId,
    });
    expect(lt.sub).toBe(claims.sub);
    expect(lt.sid).toBe(claims.sid);
    expect(lt.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    // The tokens of that sign-in no longer work, and the browser must sign in again.
    await expect(oidc.fetchUserInfo(rp.config, tokens2.access_token, claims.sub)).rejects.toThrow();
    const after = await b.go((await authRequest(rp, { vtr: '["Cl.Cm"]' })).url.href);
    expect(after.url).toContain('/identity/sign-in?uid=');

    // Signing in again: password, then the authenticator code (the next time step: each code works once).
    const codePage = await b.submit('/identity/sign-in', { email: citizen.email, password: citizen.password });
    expect(codePage.url).toContain('/identity/sign-in/code?uid=');
    const wrong = await b.submit('/identity/sign-in/code', { code: '000000' });
    expect(wrong.status).toBe(400);
    const back = await b.submit('/identity/sign-in/code', { code: totp(citizen.totpSecret, Date.now() + 30_000) });
    expect(back.location).toMatch(/\?code=/);
  });

  it('speaks Welsh when the service asks with ui_locales=cy', async () => {
    const b = new Browser(run.baseUrl);
    const page = await b.go((await authRequest(rp, { ui_locales: 'cy' })).url.href);
    expect(page.body).toContain('Mewngofnodi i&#39;ch cyfrif Cityscape');
    expect(page.body).toContain('<html lang="cy"');
  });

  it('uses a text message code as the second factor, and shares the verified phone number', async () => {
    const email = 'sms.user@example.org';
    await run.built.modules.identity.accounts.createAccount(email, 'text message 8');
    const outbox = run.built.modules.identity.outbox;
    const b = new Browser(run.baseUrl);
    const req = await authRequest(rp, { vtr: '["Cl.Cm"]', scope: 'openid phone' });
    await b.go(req.url.href);
    let page = await b.submit('/identity/sign-in', { email, password: 'text message 8' });
    expect(page.url).toContain('/identity/two-factor?uid=');
    page = await b.submit('/identity/two-factor', { method: 'sms' });
    const bad = await b.submit('/identity/two-factor/sms', { phone: '12345' });
    expect(bad.status).toBe(400);
    page = await b.submit('/identity/two-factor/sms', { phone: '07700 900 123' });
    expect(page.body).toContain('+447700900123');
    page = await b.submit('/identity/two-factor/sms/code', { code: outbox.lastCode('+447700900123')! });
    expect(page.location).toMatch(/\?code=/);
    const tokens = await exchange(rp, req, page.location!);
    expect(tokens.claims()!.vot).toBe('Cl.Cm');
    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(info).toMatchObject({ phone_number: '+447700900123', phone_number_verified: true });

    // Next time: the code page sends a text by itself.
    const other = new Browser(run.baseUrl);
    const again = await authRequest(rp, { vtr: '["Cl.Cm"]' });
    await other.go(again.url.href);
    const sent = outbox.entries.length;
    page = await other.submit('/identity/sign-in', { email, password: 'text message 8' });
    expect(page.url).toContain('/identity/sign-in/code?uid=');
    expect(page.body).toContain('ending 0123');
    expect(outbox.entries.length).toBe(sent + 1);
    page = await other.submit('/identity/sign-in/code', { code: outbox.lastCode('+447700900123')! });
    expect(page.location).toMatch(/\?code=/);
  });
});
