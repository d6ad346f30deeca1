// Two Cityscape processes behind one issuer, sharing one database (on PGlite: two apps on one
// embedded database, each with its own memory): a code issued by one is redeemed at the other;
// the same code replayed at the first fails even though that process remembers it unused (the
// consume is one atomic UPDATE), which revokes the grant — and the second process, which
// remembers the access token it issued, stops accepting it once told by NOTIFY.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildApp, type BuiltApp } from '../../app.js';
import { testConfig } from '../../config.js';
import { createPgliteDb, createPostgresDb, type Db } from '../../kernel/db.js';
import { freshPostgres } from '../../../test/helpers.js';
import { authRequest, Browser, freePort, relyingParty } from './testing.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('several processes', () => {
  it('share codes and tokens, refuse a replayed code, and forget revoked tokens everywhere', async () => {
    let db: Db;
    let databaseUrl: string | undefined;
    if (process.env.DATABASE_URL) {
      const fresh = await freshPostgres(process.env.DATABASE_URL);
      cleanups.push(() => fresh.drop());
      databaseUrl = fresh.url;
      db = createPostgresDb(fresh.url);
    } else {
      db = await createPgliteDb('memory://');
    }
    cleanups.push(() => db.close());
    const portA = await freePort();
    const publicUrl = `http://127.0.0.1:${portA}`;
    const start = async (port: number): Promise<BuiltApp> => {
      const built = await buildApp({ config: testConfig({ publicUrl, databaseUrl }), db });
      await built.app.listen({ port, host: '127.0.0.1' });
      cleanups.push(() => built.close());
      return built;
    };
    const a = await start(portA);
    const b = await start(0);
    const urlB = `http://127.0.0.1:${(b.app.server.address() as AddressInfo).port}`;
    await a.modules.catalogue.seedDemo!();
    const rp = await relyingParty(
      { built: a as never, baseUrl: publicUrl, issuer: `${publicUrl}/identity`, close: async () => {} },
      { auth: 'client_secret_post' },
    );
    await a.modules.identity.accounts.createAccount('two@example.org', 'two processes 2');

    const browser = new Browser(publicUrl);
    const req = await authRequest(rp, { vtr: '["Cl"]' });
    await browser.go(req.url.href);
    const signedIn = await browser.submit('/identity/sign-in', { email: 'two@example.org', password: 'two processes 2' });
    const code = new URL(signedIn.location!).searchParams.get('code')!;
    const redeem = (base: string) =>
      fetch(`${base}/identity/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: rp.redirectUri,
          code_verifier: req.verifier,
          client_id: rp.clientId,
          client_secret: rp.secret!,
        }),
      });
    const tokens = await (await redeem(urlB)).json();
    expect(tokens.access_token).toBeTruthy();
    const userinfo = () => fetch(`${urlB}/identity/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status).toBe(200);

    const replay = await redeem(publicUrl);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    // The grant is revoked: process B is told, and refuses the token it issued itself.
    await vi.waitFor(async () => expect((await userinfo()).status).toBe(401), { timeout: 10_000, interval: 50 });
  });
});
