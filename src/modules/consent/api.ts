// The GovStack Consent Building Block API at /consent: every path of the spec (config,
// service, audit) with and without its trailing slash. Who is calling decides what they see:
// - an organisation: a `consent` API key of one of its catalogue services, as
//   `Authorization: ApiKey <key>` (the reference implementation's scheme) or `Bearer <key>`;
//   it names the individual it acts for with `X-ConsentBB-IndividualId` (or the spec's
//   `individualId` query parameter);
// - an auditor: a `team` consent key — read-only;
// - an individual: their own identity access token (`Bearer <token>`), scoped to the
//   organisation of the service the token was issued to; the header is ignored for them.
// One organisation never reads another's policies, agreements, individuals or records.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sha256 } from '../../kernel/crypto.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Ctx } from './context.js';
import type { IdentityView } from './web.js';
import { ConsentError, badRequest, forbidden, notFound } from './errors.js';
import { store, type IndividualRow } from './store.js';
import type { RecordService } from './service-records.js';
import type { AgreementService } from './service-agreements.js';
import type { Webhooks } from './webhooks.js';
import { ErrorBody } from './schema.js';

export const API_PREFIX = '/consent';
export const INDIVIDUAL_HEADER = 'x-consentbb-individualid';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_CACHE_MS = 5000;
const PER_SECOND = 3000; // requests per caller per second

export interface Caller {
  kind: 'organisation' | 'auditor' | 'individual';
  organisationId: string;
  serviceId: string | null;
  actor: string; // authorizedByOther on revisions: 'apikey:<id>' or 'individual'
  accountId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    consentCaller?: Caller;
  }
}

export interface ApiDeps {
  ctx: Ctx;
  catalogue: CatalogueService;
  identity: IdentityView;
  records: RecordService;
  agreements: AgreementService;
  webhooks: Webhooks;
}

/** Path ids are UUIDs; anything else simply does not exist. */
export function idParam(req: FastifyRequest, name: string, what: string): string {
  const v = (req.params as Record<string, string>)[name];
  if (typeof v !== 'string' || !UUID.test(v)) throw notFound(what, String(v ?? ''));
  return v.toLowerCase();
}

export function query(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)?.[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() ? s.trim() : undefined;
}

/** offset and limit (default 0 and 10, the reference implementation's), checked. */
export function paging(req: FastifyRequest): { offset: number; limit: number } {
  const num = (name: string, fallback: number, min: number, max: number) => {
    const v = query(req, name);
    if (v === undefined) return fallback;
    if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max)
      throw badRequest(`${name} must be a whole number from ${min} to ${max}`, name);
    return Number(v);
  };
  return { offset: num('offset', 0, 0, 1_000_000_000), limit: num('limit', 10, 1, 1000) };
}

export const caller = (req: FastifyRequest): Caller => req.consentCaller!;
export const scopeOf = (c: Caller) => ({ organisationId: c.organisationId, serviceId: c.serviceId, actor: c.actor });

export function requireKind(req: FastifyRequest, ...kinds: Caller['kind'][]): Caller {
  const c = caller(req);
  if (!kinds.includes(c.kind))
    throw forbidden(
      c.kind === 'individual'
        ? 'An individual’s access token cannot do this: it needs an organisation’s consent API key'
        : c.kind === 'auditor'
          ? 'An auditor key is read-only'
          : 'This needs an individual: send X-ConsentBB-IndividualId',
    );
  return c;
}

/** Reject NUL characters and lone surrogates anywhere in what was sent (PostgreSQL cannot store them). */
function clean(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return !/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v);
  if (depth > 32) return false;
  if (Array.isArray(v)) return v.every((x) => clean(x, depth + 1));
  if (v && typeof v === 'object') return Object.entries(v).every(([k, x]) => clean(k, depth + 1) && clean(x, depth + 1));
  return true;
}

/** Registers the API in its own scope (its parsers, validators and hooks stay inside /consent). */
export function consentApi(parent: FastifyInstance, d: ApiDeps, routes: Array<(app: FastifyInstance, d: ApiDeps) => void>) {
  parent.register(
    async (app) => {
      const { ctx, catalogue, identity } = d;
      app.decorateRequest('consentCaller', undefined);
      // Route schemas document the API; bodies and queries are read by parse.ts and paging().
      app.setValidatorCompiler(() => () => true);
      app.removeContentTypeParser('application/json');
      app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => {
        const text = String(body);
        if (!text.trim()) return done(null, undefined);
        try {
          done(null, JSON.parse(text));
        } catch {
          done(badRequest('The body is not valid JSON'), undefined);
        }
      });

      const keys = ctx.caches.create<Caller | null>('consent.keys', { ttlMs: KEY_CACHE_MS, max: 10_000 });
      catalogue.onApiKeysChanged(() => keys.clear());
      let second = 0;
      let counts = new Map<string, number>();

      async function fromKey(secret: string): Promise<Caller | null> {
        const h = sha256(secret);
        const hit = keys.get(h);
        if (hit !== undefined) return hit;
        const generation = keys.generation;
        const key = await catalogue.verifyApiKey(secret, 'consent');
        const service = key?.serviceId ? await ctx.service(key.serviceId) : null;
        const c: Caller | null =
          key && service
            ? {
                kind: key.type === 'team' ? 'auditor' : 'organisation',
                organisationId: service.organisation.id,
                serviceId: service.id,
                actor: `apikey:${key.keyId}`,
              }
            : null;
        keys.set(h, c, generation);
        return c;
      }

      app.addHook('onRequest', async (req) => {
        const path = req.url.split('?')[0];
        if (path.startsWith(`${API_PREFIX}/.well-known/`) || path.startsWith(`${API_PREFIX}/status/`)) return;
        const m = /^(ApiKey|Bearer)\s+(\S{1,4096})\s*$/i.exec(req.headers.authorization ?? '');
        if (!m) throw new ConsentError(401, 'Authentication is required');
        const now = Math.floor(Date.now() / 1000);
        if (now !== second) [second, counts] = [now, new Map()];
        const n = (counts.get(m[2]) ?? 0) + 1;
        counts.set(m[2], n);
        if (n > PER_SECOND) throw Object.assign(new ConsentError(429, 'Too many requests: slow down'), { headers: { 'retry-after': '1' } });
        let c = await fromKey(m[2]);
        if (!c && m[1].toLowerCase() === 'bearer') {
          const token = await identity.accessToken(m[2]).catch(() => null);
          const service = token ? await ctx.service(token.serviceId) : null;
          if (token && service)
            c = {
              kind: 'individual',
              organisationId: service.organisation.id,
              serviceId: service.id,
              actor: 'individual',
              accountId: token.accountId,
            };
        }
        if (!c) throw new ConsentError(401, 'Authentication is required');
        req.consentCaller = c;
      });
      app.addHook('preHandler', async (req) => {
        if (!clean(req.body) || !clean(req.query) || !clean(req.params) || !clean(req.headers[INDIVIDUAL_HEADER]))
          throw badRequest('The request contains characters that cannot be stored (NUL or unpaired surrogates)');
      });

      for (const r of routes) r(app, d);
    },
    { prefix: API_PREFIX },
  );
}

/** Common route options: API errors, no CSRF (keys, not cookies), the per-caller limit instead of the per-address one. */
export function route(tags: string[], summary: string, schema: Record<string, unknown> = {}) {
  return {
    config: { api: true, csrf: false, rateLimit: false as const },
    schema: {
      tags,
      summary,
      security: [{ consentApiKey: [] as string[] }, { bearerAuth: [] as string[] }] as Array<Record<string, string[]>>,
      ...schema,
      response: { ...((schema.response as object) ?? {}), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    },
  };
}

/**
 * The individual a request acts for: a citizen's own (their token), or the one the
 * organisation names (header, or the spec's `individualId` query parameter). With `make`, a
 * citizen's individual is made on first use; otherwise null if they have none yet.
 */
export async function individualOf(
  req: FastifyRequest,
  d: ApiDeps,
  opts: { make?: boolean; query?: boolean } = {},
): Promise<IndividualRow | null> {
  const c = caller(req);
  if (c.kind === 'individual') {
    return opts.make
      ? d.records.forAccount(c.organisationId, c.accountId!)
      : store.individualOfAccount(d.ctx.db, c.organisationId, c.accountId!);
  }
  const named = namedIndividual(req, opts.query !== false);
  const found = await store.individual(d.ctx.db, c.organisationId, named);
  if (!found) throw notFound('Individual', named);
  return found;
}

/** The individual an organisation names (header, or the spec's query parameter): an id, or 400/404. */
export function namedIndividual(req: FastifyRequest, fromQuery = true): string {
  const header = req.headers[INDIVIDUAL_HEADER];
  const named = (Array.isArray(header) ? header[0] : header)?.trim() || (fromQuery ? query(req, 'individualId') : undefined);
  if (!named) throw badRequest('Name the individual with the X-ConsentBB-IndividualId header', 'X-ConsentBB-IndividualId');
  if (!UUID.test(named)) throw notFound('Individual', named);
  return named.toLowerCase();
}
