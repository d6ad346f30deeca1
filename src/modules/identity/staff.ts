// The staff console signs in through this provider: it is a relying party like any other (a
// system client, code flow with PKCE, vtr ["Cl.Cm"] — staff always use a second factor), and
// the verified email of the identity account names the catalogue staff account and its role.
// The token and userinfo calls go to the provider in-process (Fastify inject), so this works
// whatever PUBLIC_URL resolves to from the server. The catalogue's bootstrap password sign-in
// stays for first set-up only.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Kernel } from '../../kernel/module.js';
import { hmac, seal } from '../../kernel/crypto.js';
import { SessionExpired } from '../../kernel/errors.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Holder } from './mount.js';
import type { Clients } from './clients.js';
import { page } from './render.js';

export const STAFF_CLIENT_ID = 'cityscape-staff-console';
/** The console belongs to no catalogue service; its pairwise sector is this fixed id. */
const PLATFORM_SECTOR = '00000000-0000-0000-0000-000000000000';

const safeNext = (next: unknown) =>
  typeof next === 'string' && /^\/admin(?:[/?][^\s\\]*)?$/.test(next) && !next.startsWith('/admin//') && next.length < 500
    ? next
    : '/admin';

export async function ensureStaffClient(k: Kernel, clients: Clients): Promise<string> {
  const secret = hmac(k.config.sessionSecret, 'identity-staff-console-client');
  await k.db.query(
    `INSERT INTO identity.clients (client_id, service_id, name, redirect_uris, auth_method, secret, scopes, claims, max_identity_level, created_by, refresh_tokens)
     VALUES ($1, $2, 'Cityscape staff console', $3, 'client_secret_post', $4, '{openid,email}', '{}', 'P0', 'system', false)
     ON CONFLICT (client_id) DO UPDATE SET redirect_uris = EXCLUDED.redirect_uris, secret = EXCLUDED.secret, disabled_at = NULL, updated_at = now()`,
    [STAFF_CLIENT_ID, PLATFORM_SECTOR, [`${k.config.publicUrl}/admin/identity/callback`], seal(k.config.encryptionKey, secret)],
  );
  clients.forget(STAFF_CLIENT_ID);
  return secret;
}

export function staffSignIn(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, holder: () => Holder, secret: () => string) {
  const { sessions } = k;
  const redirectUri = `${k.config.publicUrl}/admin/identity/callback`;

  async function sessionData(req: FastifyRequest): Promise<Record<string, unknown>> {
    try {
      return (await sessions.load(req))?.data ?? {};
    } catch (e) {
      if (e instanceof SessionExpired) return {};
      throw e;
    }
  }

  app.get('/admin/sign-in/identity', async (req, reply) => {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const data = await sessionData(req);
    if (req.cookies.cs_session) await sessions.destroy(req, reply);
    await sessions.create(reply, {
      ...data,
      staffLogin: { verifier, state, nonce, next: safeNext((req.query as Record<string, unknown>).next) },
    });
    const url = new URL(`${holder().issuer}/authorize`);
    for (const [key, value] of Object.entries({
      client_id: STAFF_CLIENT_ID,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email',
      vtr: '["Cl.Cm"]',
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(key, value);
    return reply.redirect(url.pathname + url.search, 303);
  });

  app.get('/admin/identity/callback', async (req, reply) => {
    const t = (key: string) => k.views.messages[req.cookies.lang === 'cy' ? 'cy' : 'en'][key] ?? k.views.messages.en[key];
    const refuse = (p1: string) => {
      reply.status(403);
      return page(k.views, req, reply, 'message', {
        title: t('identity.staff.refused'),
        paragraphs: [p1],
        links: [{ href: '/admin/sign-in', text: t('identity.staff.tryAgain') }],
      });
    };
    const q = req.query as Record<string, string | undefined>;
    const data = await sessionData(req);
    const login = data.staffLogin as { verifier: string; state: string; nonce: string; next: string } | undefined;
    if (!login || !q.state || q.state !== login.state) return refuse(t('identity.staff.expired'));
    if (q.error || !q.code) return refuse(t('identity.staff.cancelled'));
    const token = await app.inject({
      method: 'POST',
      url: '/identity/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'authorization_code',
        code: q.code,
        redirect_uri: redirectUri,
        code_verifier: login.verifier,
        client_id: STAFF_CLIENT_ID,
        client_secret: secret(),
      }).toString(),
    });
    const tokens = token.json() as { id_token?: string; access_token?: string };
    if (token.statusCode !== 200 || !tokens.id_token || !tokens.access_token) return refuse(t('identity.staff.expired'));
    const keys = createLocalJWKSet({ keys: holder().keys.oidc.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }) => pub) });
    const { payload } = await jwtVerify(tokens.id_token, keys, { issuer: holder().issuer, audience: STAFF_CLIENT_ID });
    if (payload.nonce !== login.nonce || payload.vot !== 'Cl.Cm') return refuse(t('identity.staff.expired'));
    const info = (await app.inject({ url: '/identity/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } })).json() as {
      email?: string;
      email_verified?: boolean;
    };
    const email = info.email?.toLowerCase();
    const staff = email && info.email_verified ? (await catalogue.listStaff(null)).find((s) => s.email.toLowerCase() === email) : undefined;
    const actor = staff ? await catalogue.staffActor(staff.id) : null;
    if (!actor) return refuse(t('identity.staff.noStaffAccount'));
    const { staffLogin: _done, ...rest } = data;
    await sessions.destroy(req, reply);
    await sessions.create(reply, { ...rest, staffId: actor.id });
    return reply.redirect(login.next, 303);
  });
}
