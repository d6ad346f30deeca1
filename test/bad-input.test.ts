// Bad input that used to reach PostgreSQL and answer 500 (issue #10, "Bad input: 5xx from the
// fuzzer"): huge and infinite numbers, impossible dates, over-long references. Each now gets
// the compatible API's own validation error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, type TestApp } from './helpers.js';
import { payFixture } from '../src/modules/payments/testing.js';
import { notifyAuth, notifyFixture } from '../src/modules/notify/testing.js';

let t: TestApp;
let pay: Awaited<ReturnType<typeof payFixture>>;
let notify: Awaited<ReturnType<typeof notifyFixture>>;
let addressesKey: string;
beforeAll(async () => {
  t = await buildTestApp();
  pay = await payFixture(t);
  notify = await notifyFixture(t);
  addressesKey = (
    await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: pay.service.slug, platform: 'addresses', type: 'test' })
  ).secret;
});
afterAll(() => t?.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers: { accept: 'application/json', ...headers } });

describe('addresses: offset and maxresults', () => {
  const P = '/addresses/search/places/v1';
  it.each([
    ['offset', '1e308'],
    ['offset', 'Infinity'],
    ['offset', '99999999999999999999999'],
    ['offset', '2147483648'],
    ['maxresults', 'Infinity'],
    ['maxresults', '1e308'],
  ])('%s=%s → the OS Places 400', async (name, value) => {
    for (const path of ['postcode?postcode=SW1A%202AA', 'bbox?bbox=530000,180000,530100,180100', 'radius?point=530000,180000&radius=50']) {
      const res = await get(`${P}/${path}&${name}=${value}&key=${addressesKey}`);
      expect(res.statusCode, path).toBe(400);
      expect(res.json().error.statuscode).toBe(400);
      expect(res.json().error.message).toMatch(new RegExp(`^Requested ${name} must be a whole number`));
    }
  });

  it('a large valid offset goes to the database as a parameter and finds nothing', async () => {
    for (const path of ['postcode?postcode=SW1A%202AA', 'bbox?bbox=530000,180000,530100,180100', 'radius?point=530000,180000&radius=50']) {
      const res = await get(`${P}/${path}&offset=2147483647&maxresults=1&key=${addressesKey}`);
      expect(res.statusCode, path).toBe(200);
      expect(res.json().header.offset).toBe(2147483647);
      expect(res.json().results).toBeUndefined();
    }
  });
});

describe('Pay: impossible dates in searches', () => {
  it.each([
    ['/v1/payments', 'from_settled_date', '2026-02-30', 'P0401'],
    ['/v1/payments', 'to_settled_date', '2025-02-29', 'P0401'],
    ['/v1/payments', 'from_date', '2026-02-30T10:00:00Z', 'P0401'],
    ['/v1/payments', 'to_date', '2026-01-01T24:00:00Z', 'P0401'],
    ['/v1/refunds', 'from_settled_date', '2026-04-31', 'P1101'],
    ['/v1/refunds', 'from_date', '2026-13-01T00:00:00Z', 'P1101'],
    ['/v1/disputes', 'to_settled_date', '2026-02-30', 'P0401'],
    ['/v1/disputes', 'from_date', '2026-06-31T00:00:00Z', 'P0401'],
  ])('%s?%s=%s → %s', async (path, name, value, code) => {
    const res = await get(`/pay${path}?${name}=${value}`, { authorization: `Bearer ${pay.keys.test}` });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      code,
      description: `Invalid parameters: ${name}. See Public API documentation for the correct data formats`,
    });
  });

  it('a real leap day is still a date', async () => {
    const res = await get('/pay/v1/payments?from_settled_date=2024-02-29&to_date=2028-02-29T23:59:59Z', {
      authorization: `Bearer ${pay.keys.test}`,
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('catalogue: infinite numbers', () => {
  it('satisfaction?days=Infinity (or 400 digits) → 400 naming days', async () => {
    for (const days of ['Infinity', '-Infinity', '9'.repeat(400)]) {
      const res = await get(`/api/catalogue/v1/services/${pay.service.slug}/satisfaction?days=${days}`);
      expect(res.statusCode, days.slice(0, 10)).toBe(400);
      expect(res.json()).toMatchObject({ status: 400, code: 'validation_error', errors: [{ field: 'days' }] });
    }
  });

  it('a feedback rating of 400 digits, or "Infinity" → 400 naming rating', async () => {
    // As JSON: a 400-digit string, "Infinity", and the number literal 1e400 (which JSON.parse makes Infinity).
    for (const rating of [JSON.stringify('9'.repeat(400)), '"Infinity"', '1e400']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/catalogue/v1/services/${pay.service.slug}/feedback`,
        headers: { 'content-type': 'application/json' },
        payload: `{"rating":${rating}}`,
      });
      expect(res.statusCode, rating.slice(0, 10)).toBe(400);
      expect(res.json()).toMatchObject({ status: 400, errors: [{ field: 'rating' }] });
    }
  });
});

describe('Notify: reference length', () => {
  const send = (reference: string) =>
    t.app.inject({
      method: 'POST',
      url: '/notify/v2/notifications/email',
      headers: { authorization: notifyAuth(notify.keys.test), 'content-type': 'application/json' },
      payload: {
        email_address: 'someone@example.com',
        template_id: notify.templates.email.id,
        personalisation: { name: 'A', reference: 'R', extra: '' },
        reference,
      },
    });
  it('caps reference at 1,000 characters, as GOV.UK Notify does, and says so', async () => {
    for (const length of [1001, 3000, 100_000]) {
      const res = await send('r'.repeat(length));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        status_code: 400,
        errors: [{ error: 'ValidationError', message: 'reference is too long: GOV.UK Notify allows at most 1000 characters' }],
      });
    }
    const ok = await send('r'.repeat(1000));
    expect(ok.statusCode, ok.body).toBe(201);
  });
});
