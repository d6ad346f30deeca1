// The provider keeps its state in the database: close the app, build a new one on the same
// database, and the access and refresh tokens issued before still work; the signing keys are
// the same ones (stored sealed). Then rotate the keys: new tokens use the new key, and the old
// key stays published so tokens it signed still verify.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { buildApp, type BuiltApp } from '../../app.js';
import { testConfig } from '../../config.js';
import { freshPostgres } from '../../../test/helpers.js';
import { authRequest, Browser, exchange, freePort, relyingParty, type Running } from './testing.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function start(config: ReturnType<typeof testConfig>, port: number): Promise<Running & { built: BuiltApp }> {
  const built = await buildApp({ config });
  await built.app.ready();
  await built.app.listen({ port, host: '127.0.0.1' });
  return { built: built as never, baseUrl: config.publicUrl, issuer: `${config.publicUrl}/identity`, close: () => built.close() };
}

describe('identity provider state', () => {
  it('survives a restart, and rotates its keys', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    let databaseUrl: string | undefined;
    let dataDir = 'memory://';
    if (process.env.DATABASE_URL) {
      const fresh = await freshPostgres(process.env.DATABASE_URL);
      databaseUrl = fresh.url;
      cleanups.push(() => fresh.drop());
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'cs-identity-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    }
    const config = testConfig({ publicUrl, databaseUrl, dataDir });

    const first = await start(config, port);
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await first.close();
    });
    await first.built.modules.catalogue.seedDemo!();
    const rp = await relyingParty(first as never, { auth: 'client_secret_post' });
    await first.built.modules.identity.accounts.createAccount('restart@example.org', 'restart pass 12');
    const b = new Browser(publicUrl);
    const req = await authRequest(rp, { vtr: '["Cl"]', scope: 'openid email offline_access', prompt: 'consent' });
    await b.go(req.url.href);
    const signedIn = await b.submit('/identity/sign-in', { email: 'restart@example.org', password: 'restart pass 12' });
    const tokens = await exchange(rp, req, signedIn.location!);
    const sub = tokens.claims()!.sub;
    const jwksBefore = await (await fetch(`${first.issuer}/.well-known/jwks.json`)).json();
    await first.close();
    closed = true;

    const second = await start(config, port);
    cleanups.push(() => second.close());
    // The same keys, and the tokens issued by the first process still work.
    expect(await (await fetch(`${second.issuer}/.well-known/jwks.json`)).json()).toEqual(jwksBefore);
    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, sub);
    expect(info.sub).toBe(sub);
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(sub);
    // The browser is still signed in (the provider session was in the database too).
    const again = await authRequest(rp, { vtr: '["Cl"]' });
    expect((await b.go(again.url.href)).location).toMatch(/\?code=/);

    // Rotation: a new key signs, the old one is still published.
    const oldKid = decodeProtectedHeader(refreshed.id_token!).kid;
    const { added } = await second.built.modules.identity.rotateKeys();
    expect(added).toHaveLength(3);
    const jwks = await (await fetch(`${second.issuer}/.well-known/jwks.json`)).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([oldKid, ...added.slice(0, 2)]));
    const fresh = await oidc.discovery(
      new URL(second.issuer),
      rp.clientId,
      { id_token_signed_response_alg: 'ES256' },
      oidc.ClientSecretPost(rp.secret!),
      { execute: [oidc.allowInsecureRequests] },
    );
    const rotated = await oidc.refreshTokenGrant(fresh, refreshed.refresh_token!);
    expect(decodeProtectedHeader(rotated.id_token!).kid).toBe(added[0]);
    const keySet = createRemoteJWKSet(new URL(`${second.issuer}/.well-known/jwks.json`));
    await jwtVerify(refreshed.id_token!, keySet);
    await jwtVerify(rotated.id_token!, keySet);
    const did = await (await fetch(`${second.issuer}/did.json`)).json();
    expect(did.assertionMethod).toHaveLength(2);
  });
});
