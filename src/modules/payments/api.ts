// The GOV.UK Pay public API at /pay/v1: payments, events, cancel, delayed capture, refunds,
// agreements, telephone payment authorisation and disputes. Bearer keys are the catalogue's
// `pay` keys; a key works only on its own service's live or test ledger. Each route has one
// TypeBox schema (schema.ts): through the TypeBox type provider it types the handler's params,
// query and body, documents the route in /openapi.json and serialises the response.
//
// Why the checks are by hand: Fastify's schema validation is off in this scope (see
// setValidatorCompiler below). Pay's contract (specs/govuk-pay/publicapi_spec.json) answers each
// bad field with its own code and wording (P0101 missing, P0102 invalid, P0401 bad search
// parameter…), which Ajv's errors cannot be mapped to faithfully, and skipping Ajv keeps the
// create + get path fast. So validation.ts checks every request, and its functions take the raw
// value as `unknown` and return the checked, typed input: a handler never trusts req.body's
// static type on its own. Params are always strings from the router, so their types are exact.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sha256 } from '../../kernel/crypto.js';
import type { Cache } from '../../kernel/cache.js';
import { PayError } from './errors.js';
import type { Scope } from './context.js';
import type { PaymentService } from './service.js';
import type { RefundService } from './service-refunds.js';
import type { AgreementService } from './service-agreements.js';
import type { DisputeService } from './service-disputes.js';
import * as S from './schema.js';
import * as R from './representation.js';
import { rule, searchParams, validateCreateAgreement, validateCreatePayment, validateMotoAuth, validateRefund } from './validation.js';
import { declareAuth } from '../../kernel/routes.js';

export const API_PREFIX = '/pay/v1';
const AUTH_PATH = `${API_PREFIX}/auth`;
const tags = ['payments'];
const security = [{ bearerAuth: [] }];
const Id = (name: string) => Type.Object({ [name]: Type.String() });
const errors = {
  400: S.PayErrorBody,
  401: S.PayErrorBody,
  404: S.PayErrorBody,
  409: S.PayErrorBody,
  412: S.PayErrorBody,
  422: S.PayErrorBody,
  429: S.PayErrorBody,
};

export interface ApiDeps {
  payments: PaymentService;
  refunds: RefundService;
  agreements: AgreementService;
  disputes: DisputeService;
  verifyKey(secret: string): Promise<{ keyId: string; serviceId: string | null; type: string } | null>;
  urls: R.Urls;
  secret: string;
  /** Verified keys' scopes by the key's hash (null: not a Pay key), for the configured seconds. */
  keyCache: Cache<Scope | null>;
  /** Called whenever API keys change (here or in another process): a revoked key stops at once. */
  onKeysChanged(fn: () => void): void;
  rateLimit: { post: number; get: number };
}

declare module 'fastify' {
  interface FastifyRequest {
    payScope?: Scope;
    payKey?: { secret: string; hash: string } | null;
  }
}

/** The request's bearer key and its SHA-256, or null without one: worked out once per request (rate limit, then key check). */
function keyOf(req: FastifyRequest): { secret: string; hash: string } | null {
  if (req.payKey !== undefined) return req.payKey;
  const secret = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  return (req.payKey = secret ? { secret, hash: sha256(secret) } : null);
}

/** Registers the API in its own scope: its key check, JSON parser and validator stay inside /pay/v1. */
export function paymentsApi(parent: FastifyInstance, d: ApiDeps) {
  parent.register(async (app) => routes(app, d));
}

function routes(parent: FastifyInstance, d: ApiDeps) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { payments, refunds, agreements, disputes, urls } = d;
  app.decorateRequest('payScope', undefined);
  app.decorateRequest('payKey', undefined);

  // Verified keys are remembered briefly (by hash) so a busy integration costs one lookup per window.
  const cache = d.keyCache;
  d.onKeysChanged(() => cache.clear());
  const unauthorised = () => new PayError(401, 'unauthorised', 'Credentials are required to access this resource.');
  async function verify({ secret, hash: h }: { secret: string; hash: string }): Promise<Scope> {
    const generation = cache.generation;
    const key = await d.verifyKey(secret);
    const scope =
      key && key.serviceId && (key.type === 'live' || key.type === 'test')
        ? { serviceId: key.serviceId, live: key.type === 'live', keyId: key.keyId }
        : null;
    cache.set(h, scope, generation);
    if (!scope) throw unauthorised();
    return scope;
  }

  // GOV.UK Pay's limits are per API key, per operation and per second; GETs are limited far more
  // loosely. A count per key and route for the current second, kept here rather than through
  // @fastify/rate-limit (off for these routes): turning its generic hook off raised create + get
  // throughput by 5–10%, and it added X-RateLimit-* headers, which Pay does not send.
  const POST = { config: { api: true, rateLimit: false as const, payLimit: d.rateLimit.post } };
  const GET = { config: { api: true, rateLimit: false as const, payLimit: d.rateLimit.get } };
  let second = 0;
  let counts = new Map<string, number>();
  app.addHook('onRequest', (req, _reply, done) => {
    const max = (req.routeOptions.config as { payLimit?: number }).payLimit;
    if (max === undefined) return done();
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) {
      second = now;
      counts = new Map();
    }
    const k = `${req.routeOptions.url}|${keyOf(req)?.hash ?? `ip:${req.ip}`}`;
    const n = (counts.get(k) ?? 0) + 1;
    counts.set(k, n);
    if (n <= max) return done();
    done(Object.assign(new PayError(429, 'P0900', 'Too many requests'), { headers: { 'retry-after': '1' } }));
  });

  // JSON bodies: an empty body is allowed (cancel and capture have none); bad JSON is Pay's "Unable to parse JSON".
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, (req, body, done) => {
    const text = String(body);
    if (!text.trim()) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      const path = req.url.split('?')[0];
      done(
        new PayError(
          400,
          path.endsWith('/refunds') ? 'P0697' : path.startsWith('/pay/v1/agreements') ? 'P2197' : 'P0197',
          'Unable to parse JSON',
        ),
        undefined,
      );
    }
  });
  // Routes carry schemas for types and documentation; the checks themselves are Pay's own codes
  // and messages, done by hand in validation.ts (see the top of this file for why).
  app.setValidatorCompiler(() => () => true);

  declareAuth(app, 'Pay API key');
  // A callback hook: with the key remembered (the usual case) the scope is set without a promise.
  app.addHook('preHandler', (req, _reply, done) => {
    if (req.url.startsWith(AUTH_PATH)) return done(); // secured by its one-time token instead
    const key = keyOf(req);
    if (!key) return done(unauthorised());
    const hit = cache.get(key.hash);
    if (hit !== undefined) {
      if (!hit) return done(unauthorised());
      req.payScope = hit;
      return done();
    }
    verify(key).then((scope) => {
      req.payScope = scope;
      done();
    }, done);
  });
  const scope = (req: FastifyRequest) => req.payScope!;
  const actor = (req: FastifyRequest) => `apikey:${req.payScope!.keyId}`;

  app.post(
    `${API_PREFIX}/payments`,
    {
      ...POST,
      schema: {
        tags,
        security,
        summary: 'Create a payment',
        body: S.CreatePaymentRequest,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ pattern: '^$|^[a-zA-Z0-9-]+$', maxLength: 255 })) }),
        response: { 200: S.Payment, 201: S.Payment, ...errors },
      },
    },
    async (req, reply) => {
      const s = scope(req);
      const input = validateCreatePayment(req.body, s.live);
      const raw = req.headers['idempotency-key'];
      const key = typeof raw === 'string' && raw !== '' ? raw : undefined;
      if (key !== undefined && (!/^[a-zA-Z0-9-]+$/.test(key) || key.length > 255)) {
        throw new PayError(422, 'P0102', 'Invalid attribute value: Idempotency-Key. Must be 1 to 255 letters, digits or hyphens', {
          header: 'Idempotency-Key',
        });
      }
      const { payment, replayed } = await payments.create(s, input, key);
      const body = R.paymentJson(urls, d.secret, payment);
      reply.header('location', `${urls.api}/v1/payments/${payment.payment_id}`);
      return reply.status(replayed ? 200 : 201).send(body);
    },
  );

  app.get(
    `${API_PREFIX}/payments`,
    {
      ...GET,
      schema: {
        tags,
        security,
        summary: 'Search payments',
        querystring: S.PaymentSearchQuery,
        response: { 200: S.PaymentSearch, ...errors },
      },
    },
    async (req) => {
      const { values: v, paging } = searchParams(req.query, 'P0401', {
        reference: rule.maxLength(255),
        email: rule.maxLength(254),
        state: rule.oneOf(['created', 'started', 'submitted', 'capturable', 'success', 'failed', 'cancelled', 'error']),
        card_brand: rule.maxLength(50),
        from_date: rule.dateTime,
        to_date: rule.dateTime,
        cardholder_name: rule.maxLength(255),
        first_digits_card_number: rule.digits(6),
        last_digits_card_number: rule.digits(4),
        from_settled_date: rule.date,
        to_settled_date: rule.date,
        agreement_id: rule.maxLength(26),
      });
      const { rows, total } = await payments.search(
        scope(req),
        {
          reference: v.reference,
          email: v.email,
          state: v.state,
          cardBrand: v.card_brand,
          fromDate: v.from_date,
          toDate: v.to_date,
          cardholderName: v.cardholder_name,
          firstDigits: v.first_digits_card_number,
          lastDigits: v.last_digits_card_number,
          fromSettledDate: v.from_settled_date,
          toSettledDate: v.to_settled_date,
          agreementId: v.agreement_id,
        },
        paging.page,
        paging.size,
      );
      if (!rows.length && paging.page > 1) throw new PayError(404, 'P0402', 'Page not found');
      return searchPage(
        `${urls.api}/v1/payments`,
        v,
        paging,
        total,
        rows.map((p) => R.paymentSearchJson(urls, p)),
      );
    },
  );

  app.get(
    `${API_PREFIX}/payments/:paymentId`,
    {
      ...GET,
      schema: { tags, security, summary: 'Get a payment', params: Id('paymentId'), response: { 200: S.Payment, ...errors } },
    },
    async (req) => R.paymentJson(urls, d.secret, await payments.get(scope(req), req.params.paymentId)),
  );

  app.get(
    `${API_PREFIX}/payments/:paymentId/events`,
    {
      ...GET,
      schema: { tags, security, summary: "Get a payment's events", params: Id('paymentId'), response: { 200: S.PaymentEvents, ...errors } },
    },
    async (req) => {
      const { payment, events } = await payments.events(scope(req), req.params.paymentId);
      return R.eventsJson(urls, payment.payment_id, events);
    },
  );

  app.post(
    `${API_PREFIX}/payments/:paymentId/cancel`,
    {
      ...POST,
      schema: { tags, security, summary: 'Cancel a payment', params: Id('paymentId'), response: { 204: Type.Null(), ...errors } },
    },
    async (req, reply) => {
      await payments.cancel(scope(req), req.params.paymentId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    `${API_PREFIX}/payments/:paymentId/capture`,
    {
      ...POST,
      schema: {
        tags,
        security,
        summary: 'Take (capture) a delayed payment',
        params: Id('paymentId'),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await payments.capture(scope(req), req.params.paymentId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    `${API_PREFIX}/payments/:paymentId/refunds`,
    {
      ...POST,
      schema: {
        tags,
        security,
        summary: 'Refund a payment',
        params: Id('paymentId'),
        body: S.RefundRequest,
        response: { 202: S.Refund, ...errors },
      },
    },
    async (req, reply) => {
      const input = validateRefund(req.body);
      const r = await refunds.refund(scope(req), req.params.paymentId, input, actor(req));
      return reply.status(202).send(R.refundJson(urls, r));
    },
  );

  app.get(
    `${API_PREFIX}/payments/:paymentId/refunds`,
    {
      ...GET,
      schema: {
        tags,
        security,
        summary: "Get a payment's refunds",
        params: Id('paymentId'),
        response: { 200: S.PaymentRefunds, ...errors },
      },
    },
    async (req) => {
      const id = req.params.paymentId;
      return R.refundsForPaymentJson(urls, id, await refunds.list(scope(req), id));
    },
  );

  app.get(
    `${API_PREFIX}/payments/:paymentId/refunds/:refundId`,
    {
      ...GET,
      schema: {
        tags,
        security,
        summary: 'Get a refund',
        params: Type.Object({ paymentId: Type.String(), refundId: Type.String() }),
        response: { 200: S.Refund, ...errors },
      },
    },
    async (req) => {
      const { paymentId, refundId } = req.params;
      return R.refundJson(urls, await refunds.get(scope(req), paymentId, refundId));
    },
  );

  app.get(
    `${API_PREFIX}/refunds`,
    {
      ...GET,
      schema: { tags, security, summary: 'Search refunds', querystring: S.RefundSearchQuery, response: { 200: S.RefundSearch, ...errors } },
    },
    async (req) => {
      const { values: v, paging } = searchParams(req.query, 'P1101', {
        from_date: rule.dateTime,
        to_date: rule.dateTime,
        from_settled_date: rule.date,
        to_settled_date: rule.date,
      });
      const { rows, total } = await refunds.search(
        scope(req),
        { fromDate: v.from_date, toDate: v.to_date, fromSettledDate: v.from_settled_date, toSettledDate: v.to_settled_date },
        paging.page,
        paging.size,
      );
      if (!rows.length && paging.page > 1) throw new PayError(404, 'P1100', 'Page not found');
      return searchPage(
        `${urls.api}/v1/refunds`,
        v,
        paging,
        total,
        rows.map((r) => R.refundJson(urls, r)),
      );
    },
  );

  app.post(
    `${API_PREFIX}/agreements`,
    {
      ...POST,
      schema: {
        tags,
        security,
        summary: 'Create an agreement for recurring payments',
        body: S.CreateAgreementRequest,
        response: { 201: S.Agreement, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(R.agreementJson(await agreements.create(scope(req), validateCreateAgreement(req.body)))),
  );

  app.get(
    `${API_PREFIX}/agreements`,
    {
      ...GET,
      schema: {
        tags,
        security,
        summary: 'Search agreements',
        querystring: S.AgreementSearchQuery,
        response: { 200: S.AgreementSearch, ...errors },
      },
    },
    async (req) => {
      const { values: v, paging } = searchParams(req.query, 'P2401', {
        reference: rule.maxLength(255),
        status: rule.oneOf(['created', 'active', 'cancelled', 'inactive']),
      });
      const { rows, total } = await agreements.search(scope(req), { reference: v.reference, status: v.status }, paging.page, paging.size);
      if (!rows.length && paging.page > 1) throw new PayError(404, 'P2402', 'Page not found');
      return searchPage(`${urls.api}/v1/agreements`, v, paging, total, rows.map(R.agreementJson));
    },
  );

  app.get(
    `${API_PREFIX}/agreements/:agreementId`,
    {
      ...GET,
      schema: { tags, security, summary: 'Get an agreement', params: Id('agreementId'), response: { 200: S.Agreement, ...errors } },
    },
    async (req) => R.agreementJson(await agreements.get(scope(req), req.params.agreementId)),
  );

  app.post(
    `${API_PREFIX}/agreements/:agreementId/cancel`,
    {
      ...POST,
      schema: { tags, security, summary: 'Cancel an agreement', params: Id('agreementId'), response: { 204: Type.Null(), ...errors } },
    },
    async (req, reply) => {
      await agreements.cancel(scope(req), req.params.agreementId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    `${API_PREFIX}/auth`,
    {
      ...POST,
      config: { ...POST.config, auth: 'one-time token' },
      schema: {
        tags,
        summary: 'Send card details to authorise a MOTO payment (secured by the one-time token)',
        body: S.AuthorisationRequest,
        response: { 204: Type.Null(), 402: S.PayErrorBody, ...errors },
      },
    },
    async (req, reply) => {
      await payments.authoriseMoto(validateMotoAuth(req.body));
      return reply.status(204).send(null);
    },
  );

  app.get(
    `${API_PREFIX}/disputes`,
    {
      ...GET,
      schema: {
        tags,
        security,
        summary: 'Search disputes',
        querystring: S.DisputeSearchQuery,
        response: { 200: S.DisputeSearch, ...errors },
      },
    },
    async (req) => {
      const { values: v, paging } = searchParams(req.query, 'P0401', {
        from_date: rule.dateTime,
        to_date: rule.dateTime,
        from_settled_date: rule.date,
        to_settled_date: rule.date,
        status: rule.oneOf(['needs_response', 'under_review', 'lost', 'won']),
      });
      const { rows, total } = await disputes.search(
        scope(req),
        {
          fromDate: v.from_date,
          toDate: v.to_date,
          fromSettledDate: v.from_settled_date,
          toSettledDate: v.to_settled_date,
          status: v.status,
        },
        paging.page,
        paging.size,
      );
      if (!rows.length && paging.page > 1) throw new PayError(404, 'P0402', 'Page not found');
      const p = searchPage(
        `${urls.api}/v1/disputes`,
        v,
        paging,
        total,
        rows.map((x) => R.disputeJson(urls, x)),
      );
      const { _links, ...rest } = p;
      return { ...rest, links: _links }; // the disputes search names its links `links`
    },
  );
}

function searchPage<T>(href: string, values: Record<string, string>, paging: { page: number; size: number }, total: number, results: T[]) {
  const { page: _p, display_size: _d, ...query } = values;
  return { total, count: results.length, page: paging.page, results, _links: R.pageLinks(href, query, paging.page, paging.size, total) };
}
