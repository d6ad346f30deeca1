// Relying services: registering an OpenID Connect client for a catalogue service (from the
// staff console or `cityscape identity clients create`), and the client metadata the provider
// reads through the adapter — cached briefly in each process, dropped on NOTIFY when changed.
import type { AdapterPayload } from 'oidc-provider';
import type { Kernel } from '../../kernel/module.js';
import { BadRequest, Forbidden, NotFound, type FieldError } from '../../kernel/errors.js';
import { randomToken, seal, unseal } from '../../kernel/crypto.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { store, type ClientRow } from './store.js';
import type { IdentityLevel } from './vtr.js';

export const SCOPES = ['openid', 'email', 'phone', 'offline_access'] as const;
export const VOCAB = 'https://vocab.account.gov.uk/v1/';
export const IDENTITY_CLAIMS = [`${VOCAB}coreIdentityJWT`, `${VOCAB}address`, `${VOCAB}passport`] as const;
const CACHE_MS = 30_000;

export interface ClientInput {
  serviceId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** Public keys (a JWKS) for private_key_jwt; leave out to be given a secret (client_secret_post). */
  jwks?: { keys: Array<Record<string, unknown>> } | null;
  scopes?: string[];
  claims?: string[];
  maxIdentityLevel?: IdentityLevel;
  backchannelLogoutUri?: string | null;
  idTokenAlg?: 'ES256' | 'RS256';
}

export interface ClientView {
  clientId: string;
  serviceId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  authMethod: ClientRow['auth_method'];
  scopes: string[];
  claims: string[];
  maxIdentityLevel: IdentityLevel;
  backchannelLogoutUri: string | null;
  idTokenAlg: string;
  createdAt: string;
  disabled: boolean;
}

const view = (r: ClientRow): ClientView => ({
  clientId: r.client_id,
  serviceId: r.service_id,
  name: r.name,
  redirectUris: r.redirect_uris,
  postLogoutRedirectUris: r.post_logout_redirect_uris,
  authMethod: r.auth_method,
  scopes: r.scopes,
  claims: r.claims,
  maxIdentityLevel: r.max_identity_level,
  backchannelLogoutUri: r.backchannel_logout_uri,
  idTokenAlg: r.id_token_alg,
  createdAt: r.created_at.toISOString(),
  disabled: !!r.disabled_at,
});

const actorName = (a: Actor) => (a.kind === 'staff' ? `staff:${a.email}` : a.kind === 'apikey' ? `apikey:${a.id}` : 'cli');

/** https anywhere; http only on this machine (development). No fragments. */
export function validRedirectUri(value: string): boolean {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return false;
  }
  if (u.hash || value.length > 2000) return false;
  if (u.protocol === 'https:') return true;
  return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
}

function checkJwks(jwks: ClientInput['jwks'], errors: FieldError[]) {
  if (!jwks) return;
  const keys = Array.isArray(jwks.keys) ? jwks.keys : null;
  if (!keys || !keys.length || keys.length > 10) {
    errors.push({ field: 'jwks', message: 'Public keys must be a JWKS: {"keys": [ … ]} with 1 to 10 keys' });
    return;
  }
  for (const k of keys) {
    if (typeof k !== 'object' || !k || !['RSA', 'EC'].includes(String(k.kty)))
      errors.push({ field: 'jwks', message: 'Each key must be an RSA or EC public key' });
    else if ('d' in k || 'p' in k)
      errors.push({ field: 'jwks', message: 'Give only public keys: a private key must never leave the service' });
  }
}

export function createClients(k: Kernel, catalogue: CatalogueService, issuer: () => string) {
  const { db, config } = k;
  const cache = k.caches.create<AdapterPayload | null>('identity.clients', { ttlMs: CACHE_MS, max: 1000 });

  function metadataFor(r: ClientRow): AdapterPayload {
    return {
      client_id: r.client_id,
      client_name: r.name,
      redirect_uris: r.redirect_uris,
      post_logout_redirect_uris: r.post_logout_redirect_uris,
      response_types: ['code'],
      grant_types: r.refresh_tokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      token_endpoint_auth_method: r.auth_method,
      ...(r.jwks ? { jwks: r.jwks as any } : {}),
      ...(r.secret ? { client_secret: unseal(config.encryptionKey, r.secret) } : {}),
      scope: r.scopes.join(' '),
      subject_type: 'pairwise',
      // The sector is the catalogue service: every client of one service sees the same `sub`
      // (pairwiseIdentifier in provider.ts). Never fetched; the provider insists on https.
      sector_identifier_uri: `${issuer().replace(/^http:/, 'https:')}/sectors/${r.service_id}`,
      id_token_signed_response_alg: r.id_token_alg as 'ES256' | 'RS256',
      ...(r.backchannel_logout_uri ? { backchannel_logout_uri: r.backchannel_logout_uri, backchannel_logout_session_required: true } : {}),
      service_id: r.service_id,
      allowed_claims: r.claims,
      max_identity_level: r.max_identity_level,
    };
  }

  const service = {
    /** Provider-facing: the client's metadata, or undefined when unknown or disabled. */
    async metadata(clientId: string): Promise<AdapterPayload | undefined> {
      const hit = cache.get(clientId);
      if (hit !== undefined) return hit ?? undefined;
      const generation = cache.generation;
      const r = await store.clientById(db, clientId);
      const meta = r && !r.disabled_at ? metadataFor(r) : undefined;
      cache.set(clientId, meta ?? null, generation);
      return meta;
    },
    forget(clientId?: string) {
      if (clientId) cache.delete(clientId);
      else cache.clear();
    },

    async create(actor: Actor, input: ClientInput): Promise<{ client: ClientView; secret: string | null }> {
      const svc = await catalogue.getServiceById(input.serviceId);
      if (!svc)
        throw new BadRequest('Choose a service from the catalogue', [{ field: 'service', message: 'Choose a service from the catalogue' }]);
      if (!catalogue.canManage(actor, svc.organisation.id, 'service')) throw new Forbidden();
      const errors: FieldError[] = [];
      const name = input.name.trim();
      if (!name) errors.push({ field: 'name', message: 'Enter a name for the relying service' });
      else if (name.length > 200) errors.push({ field: 'name', message: 'Name must be 200 characters or fewer' });
      if (!input.redirectUris.length) errors.push({ field: 'redirectUris', message: 'Enter at least one redirect URI' });
      else if (input.redirectUris.length > 20 || !input.redirectUris.every(validRedirectUri)) {
        errors.push({
          field: 'redirectUris',
          message: 'Redirect URIs must be full https:// addresses (http:// only for localhost), one a line, without #fragments',
        });
      }
      const postLogout = input.postLogoutRedirectUris ?? [];
      if (postLogout.length > 20 || !postLogout.every(validRedirectUri))
        errors.push({
          field: 'postLogoutRedirectUris',
          message: 'Post-logout redirect URIs must be full https:// addresses (http:// only for localhost)',
        });
      const scopes = [...new Set(['openid', ...(input.scopes ?? [])])];
      if (!scopes.every((s) => (SCOPES as readonly string[]).includes(s)))
        errors.push({ field: 'scopes', message: `Scopes must be from: ${SCOPES.join(', ')}` });
      const claims = [...new Set(input.claims ?? [])];
      if (!claims.every((c) => (IDENTITY_CLAIMS as readonly string[]).includes(c)))
        errors.push({ field: 'claims', message: 'Claims must be One Login identity claims (coreIdentityJWT, address, passport)' });
      const level = input.maxIdentityLevel ?? (claims.length ? 'P2' : 'P0');
      if (!['P0', 'P1', 'P2'].includes(level)) errors.push({ field: 'maxIdentityLevel', message: 'Identity level must be P0, P1 or P2' });
      if (input.backchannelLogoutUri && !validRedirectUri(input.backchannelLogoutUri))
        errors.push({
          field: 'backchannelLogoutUri',
          message: 'Back-channel logout URI must be a full https:// address (http:// only for localhost)',
        });
      checkJwks(input.jwks, errors);
      if (errors.length) throw new BadRequest(errors[0].message, errors);

      const clientId = randomToken(24);
      const secret = input.jwks ? null : randomToken(32);
      const row: Omit<ClientRow, 'created_at' | 'disabled_at'> = {
        client_id: clientId,
        service_id: svc.id,
        name,
        redirect_uris: input.redirectUris,
        post_logout_redirect_uris: postLogout,
        auth_method: input.jwks ? 'private_key_jwt' : 'client_secret_post',
        jwks: input.jwks ? { keys: input.jwks.keys } : null,
        secret: secret ? seal(config.encryptionKey, secret) : null,
        scopes,
        claims,
        max_identity_level: level as IdentityLevel,
        backchannel_logout_uri: input.backchannelLogoutUri || null,
        id_token_alg: input.idTokenAlg ?? 'ES256',
        refresh_tokens: true,
        created_by: actorName(actor),
      };
      await db.transaction(async (tx) => {
        await store.insertClient(tx, row);
        await k.audit.record(tx, {
          actor: actorName(actor),
          action: 'identity.client.create',
          subject: `identity.client:${clientId}`,
          organisationId: svc.organisation.id,
          after: { ...row, secret: secret ? '(sealed)' : null },
        });
        await k.events.append(tx, {
          stream: `identity.client:${clientId}`,
          type: 'identity.client.created',
          payload: { clientId, serviceId: svc.id },
        });
      });
      const created = await store.clientById(db, clientId);
      return { client: view(created!), secret };
    },

    async get(clientId: string): Promise<ClientView> {
      const r = await store.clientById(db, clientId);
      if (!r) throw new NotFound(`No relying service with client ID ${clientId}`, 'client_not_found');
      return view(r);
    },

    async list(serviceIds: string[] | null = null): Promise<ClientView[]> {
      return (await store.listClients(db, serviceIds)).map(view);
    },

    async disable(actor: Actor, clientId: string): Promise<void> {
      const r = await store.clientById(db, clientId);
      if (!r) throw new NotFound(`No relying service with client ID ${clientId}`, 'client_not_found');
      const svc = await catalogue.getServiceById(r.service_id);
      if (!catalogue.canManage(actor, svc?.organisation.id ?? null, 'service')) throw new Forbidden();
      await db.transaction(async (tx) => {
        await store.disableClient(tx, clientId);
        await k.audit.record(tx, {
          actor: actorName(actor),
          action: 'identity.client.disable',
          subject: `identity.client:${clientId}`,
          organisationId: svc?.organisation.id ?? null,
        });
        await cache.invalidate(clientId, tx); // every other process forgets it when this commits
      });
      cache.delete(clientId);
    },
  };
  return service;
}
export type Clients = ReturnType<typeof createClients>;
