// Test support for the payments module (not a test itself): a service with live and test Pay
// keys, an API client over app.inject, the GOV.UK Pay OpenAPI contract compiled with ajv (its
// $refs resolved inside the one document), a cookie-keeping browser for the hosted pages, and
// a wait-until helper. Used by the module's tests and the bench.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type { BuiltApp } from '../../app.js';
import { formBrowser } from '../../../test/helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
export const SPEC_PATH = join(here, '..', '..', '..', 'specs', 'govuk-pay', 'publicapi_spec.json');
export const cli = { kind: 'cli' } as const;

let counter = 0;
/** A fresh organisation and service with live and test Pay keys. */
export async function payFixture(built: Pick<BuiltApp, 'modules'>) {
  const { catalogue } = built.modules;
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const org = await catalogue.service.createOrganisation(cli, { slug: `org-${n}`, name: `Council ${n}`, kind: 'local_authority' } as any);
  const service = await catalogue.service.createService(cli, {
    slug: `pay-${n}`,
    name: `Pay for things ${n}`,
    summary: 'Pay for a thing',
    phase: 'beta',
    organisation_slug: org.slug,
  } as any);
  const key = async (type: 'live' | 'test') =>
    (await catalogue.service.createApiKey(cli, { serviceSlug: service.slug, platform: 'pay', type })).secret;
  return { org, service, keys: { live: await key('live'), test: await key('test') } };
}

export type Res = Awaited<ReturnType<BuiltApp['app']['inject']>>;

/** The Pay API as a client sees it: `api.post('/v1/payments', body)`. */
export function payClient(built: Pick<BuiltApp, 'app'>, key: string) {
  const call = (method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) =>
    built.app.inject({
      method,
      url: `/pay${path}`,
      headers: {
        authorization: `Bearer ${key}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
  };
}

export const newPayment = (over: Record<string, unknown> = {}) => ({
  amount: 14500,
  reference: 'REF-12345',
  description: 'Pay your council tax',
  return_url: 'https://service.example.gov.uk/completed',
  ...over,
});

/**
 * Response validation against publicapi_spec.json. `path` is the spec's path template. A
 * status the spec does not list is checked against the schema Pay documents for it (202 on a
 * refund carries the Refund body; the conflict on a reused Idempotency-Key a RequestError).
 */
export function payContract() {
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8'));
  // The spec's authorisation_mode enums omit `agreement`, which the API reference documents
  // ("Successful responses include the agreement_id you sent and authorisation_mode is agreement").
  for (const name of ['PaymentWithAllLinks', 'PaymentDetailForSearch']) {
    const p = spec.components.schemas[name].properties.authorisation_mode;
    if (!p.enum.includes('agreement')) p.enum.push('agreement');
  }
  // PostLink.params is generated from a Java Map<String, Object> as "values are objects", but Pay
  // sends strings (`"params": { "chargeTokenId": "…" }` in the create-a-payment reference).
  spec.components.schemas.PostLink.properties.params.additionalProperties = { type: 'string' };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'pay.json', components: spec.components });
  const cache = new Map<string, ValidateFunction>();
  const schemaFor = (method: string, path: string, status: number) => {
    const op = spec.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${path} is not in the spec`);
    const fallback: Record<string, string> = { 202: '200', 200: '201' };
    const response = (status === 202 ? op.responses['200'] : undefined) ?? op.responses[String(status)] ?? op.responses[fallback[status]];
    if (!response && status < 400) throw new Error(`${method} ${path} does not list status ${status}`);
    const schema = response?.content?.['application/json']?.schema as { $ref?: string } | undefined;
    // Error statuses listed without a body (401, 412) or not listed (409 on a reused key, 400 P0603
    // on a refund, as Pay's API reference documents them) carry a RequestError.
    return schema ?? (status >= 400 ? { $ref: '#/components/schemas/RequestError' } : undefined);
  };
  return {
    spec,
    /** Null when `body` matches the named component schema (e.g. a webhook's resource); else the errors. */
    checkSchema(name: string, body: unknown): string | null {
      const v = ajv.getSchema(`pay.json#/components/schemas/${name}`) ?? ajv.compile({ $ref: `pay.json#/components/schemas/${name}` });
      return v(body) ? null : ajv.errorsText(v.errors, { separator: '\n' });
    },
    /** Null when `body` is what the spec says this operation answers with this status; else the errors. */
    check(method: string, path: string, status: number, body: unknown): string | null {
      const schema = schemaFor(method, path, status);
      if (!schema) return body === '' || body === undefined || body === null ? null : `expected no body, got ${JSON.stringify(body)}`;
      const key = `${method} ${path} ${status}`;
      let v = cache.get(key);
      if (!v) {
        v = ajv.compile(schema.$ref ? { $ref: `pay.json${schema.$ref}` } : schema);
        cache.set(key, v);
      }
      return v(body) ? null : ajv.errorsText(v.errors, { separator: '\n' });
    },
  };
}

/** A browser on the hosted pages: keeps cookies and the last form's CSRF token; follows nothing by itself. */
export function payBrowser(built: Pick<BuiltApp, 'app'>, b = formBrowser(built)) {
  return Object.assign(b, {
    /** GET, then follow same-site redirects. */
    async follow(res: Res, max = 5): Promise<Res> {
      let r = res;
      for (let i = 0; i < max && r.statusCode >= 300 && r.statusCode < 400; i++) {
        const loc = String(r.headers.location);
        if (!loc.startsWith('/') && !loc.startsWith('http://localhost:3000/pay')) break;
        r = await b.get(loc);
      }
      return r;
    },
  });
}

/** A good card form for the hosted card page. */
export const cardFields = (over: Record<string, string> = {}) => ({
  card_number: '4444333322221111',
  expiry_month: '12',
  expiry_year: String((new Date().getUTCFullYear() + 2) % 100),
  cardholder_name: 'Sherlock Holmes',
  cvc: '123',
  address_line1: '221 Baker Street',
  address_line2: 'Flat b',
  address_city: 'London',
  address_postcode: 'NW1 6XE',
  address_country: 'GB',
  email: 'sherlock.holmes@example.com',
  ...over,
});

export async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
