// oidc-provider is a Koa application; here it is mounted inside Fastify under /identity.
// Its routes get the raw request untouched (no body parser in their scope, no kernel CSRF —
// the provider checks its own), with the prefix stripped and `originalUrl` kept so it builds
// its own URLs under /identity. Beside it: the DID document and JWKS of the core identity
// key, the trustmark, the sector documents, and the interaction router that sends a person
// through whichever journey the authorization still needs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Kernel } from '../../kernel/module.js';
import type { Clients } from './clients.js';
import type { Web } from './web.js';
import { coreIdentityJwks, didDocument, type LoadedKeys } from './keys.js';
import { ROUTES } from './provider.js';
import { easiest, locAtLeast, parseVtr } from './vtr.js';
import { page } from './render.js';

export const PREFIX = '/identity';

export interface Holder {
  provider: Provider;
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  keys: LoadedKeys;
  issuer: string;
}

const PROVIDER_ROUTES: Array<{ method: Array<'GET' | 'POST'>; url: string }> = [
  { method: ['GET'], url: '/.well-known/openid-configuration' },
  { method: ['GET'], url: ROUTES.jwks },
  { method: ['GET', 'POST'], url: ROUTES.authorization },
  { method: ['GET'], url: `${ROUTES.authorization}/:uid` },
  { method: ['POST'], url: ROUTES.token },
  { method: ['GET', 'POST'], url: ROUTES.userinfo },
  { method: ['POST'], url: ROUTES.revocation },
  { method: ['GET', 'POST'], url: ROUTES.end_session },
  { method: ['POST'], url: `${ROUTES.end_session}/confirm` },
  { method: ['GET'], url: `${ROUTES.end_session}/success` },
];

export function mountProvider(app: FastifyInstance, holder: () => Holder) {
  app.register(async (scope) => {
    // Leave every body for the provider to read.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      const raw = req.raw as IncomingMessage & { originalUrl?: string };
      raw.originalUrl = raw.url;
      raw.url = raw.url!.slice(PREFIX.length) || '/';
      await holder().handler(raw, reply.raw);
    };
    for (const r of PROVIDER_ROUTES) {
      scope.route({ method: r.method, url: PREFIX + r.url, config: { csrf: false } as Record<string, unknown>, handler });
    }
  });
}

export function wellKnownRoutes(app: FastifyInstance, holder: () => Holder, clients: Clients) {
  const json = (reply: FastifyReply, body: unknown) =>
    reply.header('cache-control', 'public, max-age=300').type('application/json').send(body);
  // The public half of the core identity signing key, as One Login publishes it: a did:web document …
  for (const path of ['/did.json', '/.well-known/did.json']) {
    app.get(PREFIX + path, { config: { api: true } }, async (_req, reply) =>
      json(reply, didDocument(holder().issuer, holder().keys.coreIdentity.publicJwks)),
    );
  }
  // … and, for relying parties without a DID resolver, a plain JWKS with the same kids.
  app.get(`${PREFIX}/.well-known/core-identity-jwks.json`, { config: { api: true } }, async (_req, reply) =>
    json(reply, coreIdentityJwks(holder().issuer, holder().keys.coreIdentity.publicJwks)),
  );
  app.get(`${PREFIX}/trustmark`, { config: { api: true } }, async (_req, reply) =>
    json(reply, {
      idp: holder().issuer,
      trustmark_provider: holder().issuer,
      C: ['Cl', 'Cm'],
      P: ['P0', 'P1', 'P2'],
    }),
  );
  // A sector identifier document for each catalogue service: the redirect URIs of its clients.
  app.get(`${PREFIX}/sectors/:serviceId`, { config: { api: true } }, async (req, reply) => {
    const { serviceId } = req.params as { serviceId: string };
    if (!/^[0-9a-f-]{36}$/i.test(serviceId)) return reply.status(404).send({ error: 'not_found' });
    const list = await clients.list([serviceId]);
    return json(reply, [...new Set(list.filter((c) => !c.disabled).flatMap((c) => c.redirectUris))]);
  });
}

/**
 * A journey page inside an authorization ends with the browser sent back to the service: a
 * form posted here, then redirects to its redirect_uri. Browsers hold that redirect to the
 * page's CSP form-action, so these pages allow the service's origin (and only that) there.
 */
export function allowReturnToService(app: FastifyInstance, holder: () => Holder) {
  app.addHook('preHandler', async (req, reply) => {
    const uid = [
      (req.params as Record<string, unknown> | undefined)?.uid,
      (req.query as Record<string, unknown> | undefined)?.uid,
      (req.body as Record<string, unknown> | undefined)?.uid,
    ].find((v): v is string => typeof v === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(v));
    if (!uid) return;
    const interaction = await holder()
      .provider.Interaction.find(uid)
      .catch(() => undefined);
    const redirect = (interaction?.params as Record<string, unknown> | undefined)?.redirect_uri;
    if (typeof redirect === 'string') reply.allowFormAction(redirect);
  });
}

export function interactionRoutes(app: FastifyInstance, k: Kernel, web: Web, holder: () => Holder) {
  const expired = (req: FastifyRequest, reply: FastifyReply) => {
    reply.status(400);
    return page(k.views, req, reply, 'message', {
      title: web.t(req)('identity.interaction.expired.title'),
      paragraphs: [web.t(req)('identity.interaction.expired.p1')],
    });
  };

  async function details(req: FastifyRequest, reply: FastifyReply) {
    const uid = (req.params as { uid: string }).uid;
    try {
      const d = await holder().provider.interactionDetails(req.raw, reply.raw);
      return d.uid === uid ? d : null;
    } catch {
      return null;
    }
  }

  // Where does this authorization stand? Sign in, second factor, prove identity — or finished.
  app.get(`${PREFIX}/interaction/:uid`, async (req, reply) => {
    const d = await details(req, reply);
    if (!d) return expired(req, reply);
    const uid = d.uid;
    const params = d.params as Record<string, string | undefined>;
    if (params.ui_locales && /\bcy\b/.test(params.ui_locales) && req.cookies.lang !== 'cy') {
      reply.setCookie('lang', 'cy', { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 86400 });
    }
    const target = easiest(parseVtr(params.vtr));
    const si = await web.signedIn(req);
    const reasons = d.prompt.reasons ?? [];
    const mustSignInAgain = reasons.includes('login_prompt') || reasons.includes('max_age');
    if (!si || (mustSignInAgain && si.raisedAt.getTime() / 1000 < (d.iat ?? 0)))
      return reply.redirect(web.to('/identity/sign-in', uid), 303);
    if (target.cl === 'Cl.Cm' && si.level !== 'Cl.Cm') {
      return reply.redirect(web.to(si.account.mfa_method ? '/identity/sign-in/code' : '/identity/two-factor', uid), 303);
    }
    if (!locAtLeast(si.account.identity_level, target.loc)) return reply.redirect(web.to('/identity/prove', uid), 303);

    const provider = holder().provider;
    const result: Record<string, unknown> = {
      login: {
        accountId: si.account.id,
        acr: si.level,
        remember: true,
        ts: Math.floor(si.raisedAt.getTime() / 1000),
        amr: si.level === 'Cl.Cm' ? ['pwd', si.account.mfa_method === 'sms' ? 'sms' : 'otp'] : ['pwd'],
      },
    };
    if (d.prompt.name === 'consent') {
      // Not normally reached (grants are made without asking), but finish it the same way.
      const grant = d.grantId
        ? (await provider.Grant.find(d.grantId))!
        : new provider.Grant({ accountId: si.account.id, clientId: String(params.client_id) });
      const missing = d.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
      result.consent = { grantId: await grant.save() };
    }
    const returnTo = await provider.interactionResult(req.raw, reply.raw, result, { mergeWithLastSubmission: false });
    return reply.redirect(returnTo, 303);
  });

  // "Cancel and go back to the service": the relying service gets access_denied.
  app.post(`${PREFIX}/interaction/:uid/abort`, async (req, reply) => {
    const d = await details(req, reply);
    if (!d) return expired(req, reply);
    const returnTo = await holder().provider.interactionResult(
      req.raw,
      reply.raw,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
    return reply.redirect(returnTo, 303);
  });
}
