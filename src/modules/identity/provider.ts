// The OpenID Connect provider: oidc-provider configured to behave like GOV.UK One Login.
// Code flow only, PKCE S256 and `nonce` required, private_key_jwt or client_secret_post at the
// token endpoint, pairwise `sub` per catalogue service, back-channel logout, One Login's paths
// (/authorize, /token, /userinfo, /logout, /.well-known/jwks.json) and its `vtr`/`vot` and
// https://vocab.account.gov.uk/v1/* claims. How `vot` travels with an authorization: README.md.
import type { default as ProviderType, Account, AccountClaims, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { Provider, errors, interactionPolicy } from './oidc.js';
import { SignJWT } from 'jose';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { hmac } from '../../kernel/crypto.js';
import type { Views } from '../../kernel/views.js';
import type { Accounts } from './accounts.js';
import type { AccountRow } from './store.js';
import { IDENTITY_CLAIMS, VOCAB } from './clients.js';
import { coreIdentityKid, type LoadedKeys } from './keys.js';
import { renderKoa } from './render.js';
import { rpInitiatedLogout } from './logout.js';
import { InvalidVtr, locAtLeast, parseVtr, satisfied, type IdentityLevel, type Vector } from './vtr.js';

export const CORE_IDENTITY = `${VOCAB}coreIdentityJWT`;
export const ADDRESS = `${VOCAB}address`;
export const PASSPORT = `${VOCAB}passport`;

export const ROUTES = {
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  end_session: '/logout',
  revocation: '/token/revoke',
} as const;

export interface ProviderDeps {
  issuer: string;
  config: Config;
  log: Logger;
  views: Views;
  keys: LoadedKeys;
  Adapter: NonNullable<Configuration['adapter']>;
  accounts: Accounts;
  /** Ends the browser's identity sign-in named by its kernel session cookie (RP-initiated logout). */
  endBrowserSignIn(sessionCookie: string): Promise<void>;
  /** Deletes grants with every code and token issued under them. */
  revokeGrants(grantIds: string[]): Promise<void>;
  /** The pairwise `sub`, remembered for the way back (pairwise.ts); computed only when absent. */
  subject?: (serviceId: string, accountId: string) => Promise<string>;
}

/** Pairwise `sub`: the same person has a different, stable identifier in each catalogue service. */
export function pairwiseSubject(config: Config, serviceId: string, accountId: string): string {
  return hmac(config.encryptionKey, `identity-pairwise:${serviceId}:${accountId}`);
}

/** The vectors an authorization asked for, carried as a `vot` claims request (see the vtr validator). */
function requestedVectors(claims: Record<string, unknown> | undefined): Vector[] {
  const values = (claims?.vot as { values?: unknown } | null | undefined)?.values;
  if (!Array.isArray(values)) return [];
  try {
    return parseVtr(JSON.stringify(values));
  } catch {
    return [];
  }
}

export interface CityscapeAccount extends Account {
  level: IdentityLevel;
}

export function buildProvider(d: ProviderDeps): ProviderType {
  const { config, issuer, keys } = d;
  const cfg = config.identity;
  const trustmark = `${issuer}/trustmark`;

  async function coreIdentityJwt(clientId: string, serviceId: string, a: AccountRow): Promise<string> {
    return new SignJWT({
      vot: a.identity_level,
      vtm: trustmark,
      vc: {
        type: ['VerifiableCredential', 'IdentityCheckCredential'],
        credentialSubject: {
          name: [
            {
              nameParts: [
                { type: 'GivenName', value: a.given_name },
                { type: 'FamilyName', value: a.family_name },
              ],
            },
          ],
          birthDate: [{ value: a.birth_date }],
        },
      },
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: coreIdentityKid(issuer, keys.coreIdentity.kid) })
      .setIssuer(issuer)
      .setSubject(d.subject ? await d.subject(serviceId, a.id) : pairwiseSubject(config, serviceId, a.id))
      .setAudience(clientId)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('1h')
      .sign(keys.coreIdentity.privateKey);
  }

  async function findAccount(ctx: KoaContextWithOIDC, sub: string, token?: { acr?: string }): Promise<CityscapeAccount | undefined> {
    const a = await d.accounts.forProvider(sub);
    if (!a) return undefined;
    // The credential level of the sign-in behind this code or refresh token (or the session now).
    const acr = token?.acr ?? ctx.oidc.session?.acr;
    return {
      accountId: a.id,
      level: a.identity_level,
      async claims(use, scope, claims): Promise<AccountClaims> {
        const out: AccountClaims = { sub: a.id };
        const scopes = new Set(scope.split(' '));
        if (scopes.has('email')) {
          out.email = a.email;
          out.email_verified = true;
        }
        if (scopes.has('phone') && a.phone && a.mfa_method === 'sms') {
          out.phone_number = a.phone;
          out.phone_number_verified = true;
        }
        const vectors = requestedVectors(claims);
        if (use === 'id_token' && vectors.length) {
          // One Login's ID token `vot` is the credential level achieved, e.g. "Cl.Cm".
          out.vot = (satisfied(vectors, acr, a.identity_level) ?? vectors[0]).cl;
          out.vtm = trustmark;
        }
        const identityJourney = vectors.some((v) => v.loc !== 'P0' && locAtLeast(a.identity_level, v.loc));
        if (use === 'userinfo' && identityJourney) {
          const client = ctx.oidc.client!;
          if (CORE_IDENTITY in claims && a.given_name && a.birth_date)
            out[CORE_IDENTITY] = await coreIdentityJwt(client.clientId, String(client.service_id), a);
          if (ADDRESS in claims && a.address) out[ADDRESS] = [a.address];
          if (PASSPORT in claims && a.passport) out[PASSPORT] = [a.passport];
        }
        return out;
      },
    };
  }

  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('vtr_unmet', 'a stronger sign-in or a higher identity level is needed', 'interaction_required', (ctx) => {
      const account = ctx.oidc.account as CityscapeAccount | undefined;
      if (!account) return interactionPolicy.Check.NO_NEED_TO_PROMPT; // no_session asks for a sign-in
      const vectors = parseVtr(ctx.oidc.params!.vtr as string | undefined);
      return satisfied(vectors, ctx.oidc.session!.acr, account.level)
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );

  const configuration: Configuration = {
    adapter: d.Adapter,
    jwks: { keys: keys.oidc as any },
    findAccount: findAccount as Configuration['findAccount'],
    routes: ROUTES,
    responseTypes: ['code'],
    scopes: ['openid', 'email', 'phone', 'offline_access'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      vot: null,
      vtm: null,
      [CORE_IDENTITY]: null,
      [ADDRESS]: null,
      [PASSPORT]: null,
    },
    subjectTypes: ['pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) =>
      d.subject ? d.subject(String(client.service_id), accountId) : pairwiseSubject(config, String(client.service_id), accountId),
    // Our clients' sector identifier names their catalogue service; it is ours, so nothing to fetch.
    sectorIdentifierUriValidate: () => false,
    clientAuthMethods: ['private_key_jwt', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'private_key_jwt',
    },
    extraClientMetadata: { properties: ['service_id', 'allowed_claims', 'max_identity_level'] },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
    },
    acrValues: ['Cl', 'Cl.Cm'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    extraParams: {
      vtr(ctx, value, client) {
        const params = ctx.oidc.params!;
        if (!params.nonce) throw new errors.InvalidRequest('Request is missing nonce parameter');
        let vectors: Vector[];
        try {
          vectors = parseVtr(value);
        } catch (e) {
          if (e instanceof InvalidVtr) throw new errors.InvalidRequest('Request vtr not valid');
          throw e;
        }
        const max = (client.max_identity_level as IdentityLevel | undefined) ?? 'P0';
        if (vectors.some((v) => !locAtLeast(max, v.loc))) throw new errors.InvalidRequest('Request vtr not valid');
        // The accepted vectors travel with the authorization as a claims request for `vot`: the
        // code, tokens and interaction all keep the claims request, so the token and userinfo
        // endpoints know what was asked for.
        const claims = params.claims ? JSON.parse(params.claims as string) : {};
        const values = vectors.map((v) => v.text);
        claims.id_token = { ...claims.id_token, vot: { values }, vtm: null };
        claims.userinfo = { ...claims.userinfo, vot: { values } };
        params.claims = JSON.stringify(claims);
      },
    },
    async loadExistingGrant(ctx) {
      // Government services do not ask for consent (One Login does not): the grant is made or
      // extended here with what was asked for and is allowed, so no consent prompt is shown.
      const { oidc } = ctx;
      const clientId = oidc.client!.clientId;
      const accountId = oidc.account!.accountId;
      const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(clientId);
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (grant && (grant.accountId !== accountId || grant.clientId !== clientId)) grant = undefined;
      const scopes = [...oidc.requestParamOIDCScopes];
      const claims = [...oidc.requestParamClaims];
      const hadScope = grant?.getOIDCScope() ? new Set(grant.getOIDCScope().split(' ')) : new Set<string>();
      const hadClaims = new Set(grant?.getOIDCClaims() ?? []);
      if (grant && scopes.every((s) => hadScope.has(s)) && claims.every((c) => hadClaims.has(c))) return grant;
      grant ??= new oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope(scopes.join(' '));
      if (claims.length) grant.addOIDCClaims(claims);
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: {
        enabled: true,
        assertClaimsParameter(_ctx, claims, client) {
          const allowed = new Set((client.allowed_claims as string[] | undefined) ?? []);
          for (const part of [claims.userinfo, claims.id_token]) {
            for (const name of Object.keys(part ?? {})) {
              if ((IDENTITY_CLAIMS as readonly string[]).includes(name) && !allowed.has(name))
                throw new errors.InvalidRequest('Request contains invalid claims');
            }
          }
        },
      },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: rpInitiatedLogout({ ...d, subjectFor: (serviceId, accountId) => pairwiseSubject(config, serviceId, accountId) }),
    },
    interactions: {
      url: (_ctx, interaction) => `/identity/interaction/${interaction.uid}`,
      policy,
    },
    async renderError(ctx, out) {
      ctx.status = ctx.status >= 400 ? ctx.status : 400;
      renderKoa(d.views, ctx, 'oauth-error', { error: out.error, description: ctx.status >= 500 ? null : out.error_description });
    },
    cookies: {
      keys: [hmac(config.sessionSecret, 'identity-provider-cookies')],
      names: { session: 'cs_oidc_session', interaction: 'cs_oidc_interaction', resume: 'cs_oidc_resume' },
      long: { signed: true, httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/identity' },
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure: config.secureCookies },
    },
    ttl: {
      AccessToken: cfg.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: cfg.refreshTokenTtlSeconds,
      Session: cfg.sessionTtlSeconds,
      Grant: cfg.refreshTokenTtlSeconds,
    },
    // Codes and tokens are not bound to the provider session's lifetime (which would cost a
    // session lookup on every token and userinfo request): every way a session ends here —
    // RP-initiated logout, signing out, signing out everywhere, disconnecting — revokes the
    // grants and tokens itself. Refresh tokens only with offline_access (and prompt=consent).
    expiresWithSession: async () => false,
    clockTolerance: 5,
    // Back-channel logout calls relying services. oidc-provider refuses loopback and private
    // addresses (SSRF protection); a development or test deployment (an http:// PUBLIC_URL)
    // has its relying services exactly there, so only it lifts the guard.
    fetch: (url, options) => {
      if (!config.publicUrl.startsWith('https:')) delete (options as { dispatcher?: unknown }).dispatcher;
      return globalThis.fetch(url, options);
    },
    discovery: {
      service_documentation: `${config.publicUrl}/docs`,
      ui_locales_supported: ['en', 'cy'],
      vtr_values_supported: ['Cl', 'Cl.Cm', 'Cl.Cm.P1', 'Cl.Cm.P2'],
      trustmarks: trustmark,
      claim_types_supported: ['normal'],
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = config.trustProxy !== false;

  // Nosniff everywhere. An RP-initiated logout also revokes the session's grants and tokens
  // (see expiresWithSession) and ends the browser's identity sign-in.
  provider.use(async (ctx, next) => {
    const loggingOut = ctx.method === 'POST' && ctx.path === `${ROUTES.end_session}/confirm`;
    const sessionId = loggingOut ? ctx.cookies.get('cs_oidc_session', { signed: true }) : undefined;
    const session = sessionId ? await provider.Session.find(sessionId) : undefined;
    const grants = Object.values((session as { authorizations?: Record<string, { grantId?: string }> } | undefined)?.authorizations ?? {})
      .map((a) => a.grantId)
      .filter((g): g is string => !!g);
    await next();
    ctx.set('x-content-type-options', 'nosniff');
    if (loggingOut && ctx.status === 303) {
      await d.revokeGrants(grants);
      const kernelSession = ctx.cookies.get('cs_session', { signed: false });
      if (kernelSession) {
        await d.endBrowserSignIn(kernelSession);
        ctx.cookies.set('cs_session', null, { path: '/', signed: false });
      }
    }
  });
  provider.on('server_error', (_ctx, err) => d.log.error({ err }, 'identity provider error'));
  provider.on('backchannel.error', (_ctx, err, client) => d.log.warn({ err, clientId: client.clientId }, 'back-channel logout failed'));
  return provider;
}
