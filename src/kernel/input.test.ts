// NUL characters and unpaired surrogates are refused at the edge for every route — path,
// query, headers, JSON and form bodies — with a 400 in each API's own error shape (and a
// GOV.UK error page for pages), before any module or the database sees them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, formBrowser, type TestApp } from '../../test/helpers.js';
import { payFixture } from '../modules/payments/testing.js';
import { notifyAuth, notifyFixture } from '../modules/notify/testing.js';
import { consentKey } from '../modules/consent/testing.js';
import { findNonFinite, findUnstorable, unstorable } from './input.js';

let built: TestApp;
let pay: Awaited<ReturnType<typeof payFixture>>;
let notify: Awaited<ReturnType<typeof notifyFixture>>;
let addressesKey: string;
let consent: string;
beforeAll(async () => {
  built = await buildTestApp();
  pay = await payFixture(built);
  notify = await notifyFixture(built);
  addressesKey = (
    await built.modules.catalogue.service.createApiKey(cli, { serviceSlug: pay.service.slug, platform: 'addresses', type: 'live' })
  ).secret;
  consent = await consentKey(built, pay.service.slug);
});
afterAll(() => built?.close());

const json = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string>, payload?: string) =>
  built.app.inject({
    method,
    url,
    headers: { accept: 'application/json', ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    payload,
  });
const payment = (reference: string) =>
  `{"amount":100,"reference":"${reference}","description":"x","return_url":"https://service.example.gov.uk/done"}`;

describe('the input guard', () => {
  it('finds NUL and unpaired surrogates in strings, keys and nested values', () => {
    expect(unstorable('fine ✓ 😀')).toBe(false);
    expect(unstorable('a\u0000b')).toBe(true);
    expect(unstorable('\ud800')).toBe(true);
    expect(unstorable('x\udc00')).toBe(true);
    expect(findUnstorable({ a: [1, { b: 'ok' }, { c: 'bad\u0000' }] })).toBe('a.2.c');
    expect(findUnstorable({ ['k\ud800']: 1 })).toBe('k\ud800');
    expect(findUnstorable({ a: 1, b: [true, null, 'ok'] })).toBeNull();
    const parts: Record<string, unknown> = { a: { value: 'ok' }, b: { value: 'bad\u0000' } };
    for (const p of Object.values(parts)) (p as Record<string, unknown>).fields = parts; // as multipart parsers link them
    expect(findUnstorable(parts)).toBe('b.value');
    expect(findNonFinite(parts)).toBeNull();
  });

  it('Pay: a NUL in a JSON attribute, a lone surrogate in metadata, %00 in a search → Pay errors, 400', async () => {
    const auth = { authorization: `Bearer ${pay.keys.test}` };
    const nul = await json('POST', '/pay/v1/payments', auth, payment('REF\\u0000'));
    expect(nul.statusCode).toBe(400);
    expect(nul.json()).toEqual({
      field: 'reference',
      code: 'P0102',
      description: 'Invalid attribute value: reference. Must not contain NUL characters or unpaired surrogates',
    });
    const surrogate = await json('POST', '/pay/v1/payments', auth, payment('REF').replace(/}$/, ',"metadata":{"ledger":"\\ud800"}}'));
    expect(surrogate.statusCode).toBe(400);
    expect(surrogate.json()).toMatchObject({ field: 'metadata.ledger', code: 'P0102' });
    const refund = await json('POST', '/pay/v1/payments/abc/refunds', auth, '{"amount":1,"refund_amount_available":"\\u0000"}');
    expect(refund.statusCode).toBe(400);
    expect(refund.json()).toMatchObject({ field: 'refund_amount_available', code: 'P0602' });
    const search = await json('GET', '/pay/v1/payments?reference=a%00b', auth);
    expect(search.statusCode).toBe(400);
    expect(search.json()).toEqual({
      code: 'P0401',
      description: 'Invalid parameters: reference. See Public API documentation for the correct data formats',
    });
    const path = await json('GET', '/pay/v1/payments/abc%00def', auth);
    expect(path.statusCode).toBe(400);
    expect(path.json().code).toBe('P0401');
  });

  it('Notify: a NUL in personalisation or reference → BadRequestError, 400', async () => {
    const auth = { authorization: notifyAuth(notify.keys.test) };
    const body = JSON.stringify({
      email_address: 'someone@example.com',
      template_id: notify.templates.email.id,
      personalisation: { name: 'A\u0000' },
    });
    const res = await json('POST', '/notify/v2/notifications/email', auth, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      status_code: 400,
      errors: [
        {
          error: 'BadRequestError',
          message:
            'personalisation.name contains a character that is not allowed: a NUL character or an unpaired surrogate (not valid Unicode)',
        },
      ],
    });
    const query = await json('GET', '/notify/v2/notifications?reference=%00', auth);
    expect(query.statusCode).toBe(400);
    expect(query.json().errors[0].error).toBe('BadRequestError');
  });

  it('OS Places: %00 in a query parameter → {error: {statuscode, message}}, 400', async () => {
    const res = await json('GET', `/addresses/search/places/v1/find?query=10%00downing&key=${addressesKey}`, {});
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        statuscode: 400,
        message: 'query contains a character that is not allowed: a NUL character or an unpaired surrogate (not valid Unicode)',
      },
    });
  });

  it('consent, catalogue and the exchange answer in their own shapes', async () => {
    const c = await json('GET', '/consent/config/webhook/a%00b/', { authorization: `ApiKey ${consent}` });
    expect(c.statusCode).toBe(400);
    expect(c.json()).toMatchObject({ errorCode: 400, errors: [{ field: 'webhookId' }] });
    const cat = await json('PUT', '/api/catalogue/v1/services/x/office-holder', {}, '{"name":"\\ud800"}');
    expect(cat.statusCode).toBe(400);
    expect(cat.json()).toMatchObject({ status: 400, code: 'invalid_characters', errors: [{ field: 'name' }] });
    const x = await json('GET', '/r1/UK/GOV/DWP/benefits/a%00', {});
    expect(x.statusCode).toBe(400);
    expect(x.json()).toMatchObject({ type: 'Client.BadRequest' });
  });

  it('a NUL in a header is refused before any module reads it', async () => {
    const res = await json('GET', '/pay/v1/payments', { authorization: `Bearer ${pay.keys.test}`, 'x-request-note': 'a\u0000' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ header: 'x-request-note', code: 'P0401' });
  });

  it('pages: %00 in a path, and a NUL in a form field, get a GOV.UK error page with 400', async () => {
    const page = await built.app.inject({ method: 'GET', url: '/services/a%00b', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('govuk-heading-l');
    const b = formBrowser(built);
    await b.get('/');
    const form = await b.post(`/services/${pay.service.slug}/feedback`, { rating: '5', improvement: 'good\u0000' });
    expect(form.statusCode).toBe(400);
    expect(form.headers['content-type']).toMatch(/text\/html/);
    expect(form.body).toContain('improvement contains a character that is not allowed');
  });
});
