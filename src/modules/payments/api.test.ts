// The GOV.UK Pay API end to end through HTTP, on PGlite or PostgreSQL: every operation's
// responses checked against publicapi_spec.json, Pay's error codes and wording, the state
// machine, telephone (moto_api) payments, delayed capture, refunds, agreements and recurring
// payments, disputes, search paging, and one key never seeing another service's ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { cardFields, newPayment, payBrowser, payClient, payContract, payFixture, type Res } from './testing.js';
import { SANDBOX_CARDS } from './gateways/sandbox.js';

let t: TestApp;
let f: Awaited<ReturnType<typeof payFixture>>;
let api: ReturnType<typeof payClient>;
const contract = payContract();
const checked = new Set<string>();

/** Asserts the status, then that the body is what the spec says for it. */
function expectPay(res: Res, method: string, specPath: string, status: number) {
  expect(res.statusCode, `${method} ${specPath}: ${res.body}`).toBe(status);
  const body = res.body ? res.json() : undefined;
  expect(contract.check(method, specPath, status, body), `${method} ${specPath} ${status}: ${res.body}`).toBeNull();
  checked.add(`${method} ${specPath}`);
  return body;
}

const expiry = () => `12/${String((new Date().getUTCFullYear() + 2) % 100).padStart(2, '0')}`;
/** A payment taken through POST /v1/auth (no browser needed). */
async function paidByPhone(over: Record<string, unknown> = {}, card: string = SANDBOX_CARDS.success) {
  const created = expectPay(
    await api.post('/v1/payments', newPayment({ authorisation_mode: 'moto_api', return_url: undefined, ...over })),
    'POST',
    '/v1/payments',
    201,
  );
  const auth = created._links.auth_url_post;
  const r = await t.app.inject({
    method: 'POST',
    url: new URL(auth.href).pathname,
    headers: { 'content-type': 'application/json' },
    payload: {
      one_time_token: auth.params.one_time_token,
      card_number: card,
      cvc: '123',
      expiry_date: expiry(),
      cardholder_name: 'J Citizen',
    },
  });
  return { id: created.payment_id as string, auth: r, token: auth.params.one_time_token as string };
}

beforeAll(async () => {
  t = await buildTestApp();
  f = await payFixture(t);
  api = payClient(t, f.keys.test);
});
afterAll(async () => {
  await t?.close();
});

describe('payments', () => {
  it('creates a payment and reads it back as GOV.UK Pay does', async () => {
    const res = await api.post(
      '/v1/payments',
      newPayment({
        metadata: { ledger_code: 'AB100', internal_reference_number: 200, reconciled: false },
        email: 'citizen@example.org',
        language: 'cy',
        prefilled_cardholder_details: {
          cardholder_name: 'Sherlock Holmes',
          billing_address: { line1: '221 Baker Street', postcode: 'NW1 6XE', city: 'London', country: 'GB' },
        },
      }),
    );
    const p = expectPay(res, 'POST', '/v1/payments', 201);
    expect(res.headers.location).toBe(p._links.self.href);
    expect(p).toMatchObject({
      amount: 14500,
      reference: 'REF-12345',
      description: 'Pay your council tax',
      language: 'cy',
      email: 'citizen@example.org',
      state: { status: 'created', finished: false },
      payment_provider: 'sandbox',
      delayed_capture: false,
      moto: false,
      authorisation_mode: 'web',
      refund_summary: { status: 'pending', amount_available: 14500, amount_submitted: 0 },
      settlement_summary: {},
      metadata: { ledger_code: 'AB100', internal_reference_number: 200, reconciled: false },
      return_url: 'https://service.example.gov.uk/completed',
    });
    expect(p.payment_id).toMatch(/^[0-9a-v]{26}$/);
    expect(p.created_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(p._links.self).toEqual({ href: `http://localhost:3000/pay/v1/payments/${p.payment_id}`, method: 'GET' });
    expect(p._links.next_url.href).toMatch(/^http:\/\/localhost:3000\/pay\/secure\//);
    expect(p._links.next_url_post).toMatchObject({
      type: 'application/x-www-form-urlencoded',
      method: 'POST',
      href: 'http://localhost:3000/pay/secure',
    });
    expect(p._links.cancel.method).toBe('POST');
    expect(p._links.capture).toBeUndefined();
    const got = expectPay(await api.get(`/v1/payments/${p.payment_id}`), 'GET', '/v1/payments/{paymentId}', 200);
    expect(got).toMatchObject({ payment_id: p.payment_id, state: { status: 'created' } });
    const events = expectPay(await api.get(`/v1/payments/${p.payment_id}/events`), 'GET', '/v1/payments/{paymentId}/events', 200);
    expect(events.events.map((e: any) => e.state.status)).toEqual(['created']);
    expect(events._links.self.href).toMatch(/\/events$/);
  });

  it('rejects bad requests with Pay’s codes, fields and wording', async () => {
    const long = 'x'.repeat(256);
    const cases: Array<[unknown, number, string, string | undefined, string]> = [
      [{ ...newPayment(), amount: undefined }, 400, 'P0101', 'amount', 'Missing mandatory attribute: amount'],
      [{ ...newPayment(), return_url: undefined }, 400, 'P0101', 'return_url', 'Missing mandatory attribute: return_url'],
      [newPayment({ amount: '100' }), 422, 'P0102', 'amount', 'Invalid attribute value: amount. Must be a valid numeric format'],
      [newPayment({ amount: 10000001 }), 422, 'P0102', 'amount', 'Invalid attribute value: amount. Must be less than or equal to 10000000'],
      [newPayment({ amount: 0 }), 422, 'P0102', 'amount', 'Invalid attribute value: amount. Must be greater than or equal to 1'],
      [newPayment({ amount: 10.5 }), 422, 'P0102', 'amount', 'Invalid attribute value: amount. Must be a valid numeric format'],
      [
        newPayment({ reference: long }),
        422,
        'P0102',
        'reference',
        'Invalid attribute value: reference. Must be less than or equal to 255 characters length',
      ],
      [
        newPayment({ description: long }),
        422,
        'P0102',
        'description',
        'Invalid attribute value: description. Must be less than or equal to 255 characters length',
      ],
      [
        newPayment({ return_url: 'not a url' }),
        422,
        'P0102',
        'return_url',
        'Invalid attribute value: return_url. Must be a valid URL format',
      ],
      [
        newPayment({ return_url: `https://x.gov.uk/${'a'.repeat(2000)}` }),
        422,
        'P0102',
        'return_url',
        'Invalid attribute value: return_url. Must be less than or equal to 2000 characters length',
      ],
      [newPayment({ language: 'fr' }), 422, 'P0102', 'language', 'Invalid attribute value: language. Must be "en" or "cy"'],
      [
        newPayment({ delayed_capture: 'yes' }),
        422,
        'P0102',
        'delayed_capture',
        'Invalid attribute value: delayed_capture. Must be true or false',
      ],
      [
        newPayment({ metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])) }),
        422,
        'P0102',
        'metadata',
        'Invalid attribute value: metadata. Cannot have more than 10 key-value pairs',
      ],
      [
        newPayment({ metadata: { nested: { a: 1 } } }),
        422,
        'P0102',
        'metadata',
        'Invalid attribute value: metadata. Values must be of type String, Boolean or Number',
      ],
      [newPayment({ authorisation_mode: 'moto_api' }), 422, 'P0104', 'return_url', 'Unexpected attribute: return_url'],
      [
        newPayment({ authorisation_mode: 'agreement', return_url: undefined }),
        400,
        'P0101',
        'agreement_id',
        'Missing mandatory attribute: agreement_id',
      ],
      [newPayment({ agreement_id: 'a'.repeat(26) }), 422, 'P0104', 'agreement_id', 'Unexpected attribute: agreement_id'],
      [
        newPayment({ set_up_agreement: 'short' }),
        422,
        'P0102',
        'set_up_agreement',
        'Invalid attribute value: set_up_agreement. Field [set_up_agreement] length must be 26',
      ],
      [
        newPayment({ set_up_agreement: 'a'.repeat(26) }),
        422,
        'P0103',
        'set_up_agreement',
        'Invalid attribute value: set_up_agreement. Agreement ID does not exist',
      ],
    ];
    for (const [body, status, code, field, description] of cases) {
      const e = expectPay(await api.post('/v1/payments', body), 'POST', '/v1/payments', status);
      expect(e, JSON.stringify(body).slice(0, 200)).toEqual({ code, description, ...(field ? { field } : {}) });
    }
    const bad = expectPay(await api.post('/v1/payments', '{"amount": 1,'), 'POST', '/v1/payments', 400);
    expect(bad).toEqual({ code: 'P0197', description: 'Unable to parse JSON' });
    const idem = expectPay(await api.post('/v1/payments', newPayment(), { 'idempotency-key': 'not valid!' }), 'POST', '/v1/payments', 422);
    expect(idem).toMatchObject({ code: 'P0102', header: 'Idempotency-Key' });
    const live = payClient(t, f.keys.live);
    expect((await live.post('/v1/payments', newPayment({ return_url: 'http://insecure.example.gov.uk/done' }))).json()).toMatchObject({
      code: 'P0102',
      field: 'return_url',
    });
  });

  it('cancels a payment (P0040) and refuses to cancel twice (P0502)', async () => {
    const p = (await api.post('/v1/payments', newPayment())).json();
    const res = await api.post(`/v1/payments/${p.payment_id}/cancel`);
    expectPay(res, 'POST', '/v1/payments/{paymentId}/cancel', 204);
    const got = (await api.get(`/v1/payments/${p.payment_id}`)).json();
    expect(got.state).toEqual({ status: 'cancelled', finished: true, code: 'P0040', message: 'Payment was cancelled by the service' });
    expect(got._links.cancel).toBeUndefined();
    expect(got._links.next_url).toBeUndefined();
    expect(got.refund_summary.status).toBe('unavailable');
    expect(expectPay(await api.post(`/v1/payments/${p.payment_id}/cancel`), 'POST', '/v1/payments/{paymentId}/cancel', 409)).toEqual({
      code: 'P0502',
      description: 'Cancellation of payment failed',
    });
    // A client that sends Content-Type: application/json with no body is fine.
    const q = (await api.post('/v1/payments', newPayment())).json();
    const empty = await t.app.inject({
      method: 'POST',
      url: `/pay/v1/payments/${q.payment_id}/cancel`,
      headers: { authorization: `Bearer ${f.keys.test}`, 'content-type': 'application/json' },
    });
    expect(empty.statusCode).toBe(204);
  });

  it('searches payments with filters, pages and Pay’s parameter errors', async () => {
    const ref = `SEARCH-${Date.now()}`;
    for (let i = 0; i < 5; i++) await api.post('/v1/payments', newPayment({ reference: ref, email: `person${i}@example.org` }));
    const all = expectPay(await api.get(`/v1/payments?reference=${ref}`), 'GET', '/v1/payments', 200);
    expect(all).toMatchObject({ total: 5, count: 5, page: 1 });
    expect(all.results[0]._links.next_url).toBeUndefined();
    const page2 = expectPay(await api.get(`/v1/payments?reference=${ref}&display_size=2&page=2`), 'GET', '/v1/payments', 200);
    expect(page2).toMatchObject({ total: 5, count: 2, page: 2 });
    expect(page2._links.next_page.href).toContain('page=3');
    expect(page2._links.prev_page.href).toContain('page=1');
    expect(page2._links.last_page.href).toContain('page=3');
    expect((await api.get(`/v1/payments?reference=${ref}&email=person3`)).json().total).toBe(1);
    expect((await api.get(`/v1/payments?reference=${ref}&state=success`)).json().total).toBe(0);
    expect(expectPay(await api.get(`/v1/payments?reference=${ref}&display_size=2&page=9`), 'GET', '/v1/payments', 404)).toEqual({
      code: 'P0402',
      description: 'Page not found',
    });
    expect(expectPay(await api.get('/v1/payments?from_date=yesterday&display_size=501&state=paid'), 'GET', '/v1/payments', 422)).toEqual({
      code: 'P0401',
      description: 'Invalid parameters: state, from_date, display_size. See Public API documentation for the correct data formats',
    });
    const from = new Date(Date.now() - 3600_000).toISOString().slice(0, 19) + 'Z';
    expect((await api.get(`/v1/payments?reference=${ref}&from_date=${from}`)).json().total).toBe(5);
  });

  it('404s with each endpoint’s code for a payment that is not there', async () => {
    const id = 'a'.repeat(26);
    const cases: Array<['GET' | 'POST', string, string, string, unknown?]> = [
      ['GET', `/v1/payments/${id}`, '/v1/payments/{paymentId}', 'P0200'],
      ['GET', `/v1/payments/${id}/events`, '/v1/payments/{paymentId}/events', 'P0300'],
      ['POST', `/v1/payments/${id}/cancel`, '/v1/payments/{paymentId}/cancel', 'P0500'],
      ['POST', `/v1/payments/${id}/capture`, '/v1/payments/{paymentId}/capture', 'P1000'],
      ['POST', `/v1/payments/${id}/refunds`, '/v1/payments/{paymentId}/refunds', 'P0600', { amount: 100 }],
      ['GET', `/v1/payments/${id}/refunds`, '/v1/payments/{paymentId}/refunds', 'P0800'],
      ['GET', `/v1/payments/${id}/refunds/${id}`, '/v1/payments/{paymentId}/refunds/{refundId}', 'P0700'],
      ['GET', `/v1/agreements/${id}`, '/v1/agreements/{agreementId}', 'P2200'],
      ['POST', `/v1/agreements/${id}/cancel`, '/v1/agreements/{agreementId}/cancel', 'P2500'],
    ];
    for (const [method, path, spec, code, body] of cases) {
      const r = method === 'GET' ? await api.get(path) : await api.post(path, body);
      expect(expectPay(r, method, spec, 404)).toEqual({ code, description: 'Not found' });
    }
  });
});

describe('keys and tenants', () => {
  it('needs a Pay key, and a key sees only its own service’s ledger', async () => {
    const other = await payFixture(t);
    const theirs = payClient(t, other.keys.test);
    const mine = (await api.post('/v1/payments', newPayment({ reference: 'MINE' }))).json();
    const { id: paid } = await paidByPhone({ reference: 'MINE-PAID' });
    expectPay(await t.app.inject({ url: `/pay/v1/payments/${mine.payment_id}` }), 'GET', '/v1/payments/{paymentId}', 401);
    expect((await payClient(t, 'api_test_nonsense').get(`/v1/payments/${mine.payment_id}`)).statusCode).toBe(401);
    const notifyKey = (
      await t.modules.catalogue.service.createApiKey({ kind: 'cli' }, { serviceSlug: f.service.slug, platform: 'notify', type: 'live' })
    ).secret;
    expect((await payClient(t, notifyKey).get(`/v1/payments/${mine.payment_id}`)).statusCode).toBe(401);

    expect((await theirs.get(`/v1/payments/${mine.payment_id}`)).json().code).toBe('P0200');
    expect((await theirs.get(`/v1/payments/${paid}/events`)).json().code).toBe('P0300');
    expect((await theirs.post(`/v1/payments/${mine.payment_id}/cancel`)).json().code).toBe('P0500');
    expect((await theirs.post(`/v1/payments/${paid}/refunds`, { amount: 1 })).json().code).toBe('P0600');
    expect((await theirs.get(`/v1/payments/${paid}/refunds`)).json().code).toBe('P0800');
    expect((await theirs.get('/v1/payments?reference=MINE')).json().total).toBe(0);
    expect((await theirs.get('/v1/refunds')).json().total).toBe(0);
    // Live and test are separate ledgers of the same service.
    expect((await payClient(t, f.keys.live).get(`/v1/payments/${mine.payment_id}`)).json().code).toBe('P0200');
    expect((await api.get(`/v1/payments/${mine.payment_id}`)).statusCode).toBe(200);
  });
});

describe('telephone payments (moto_api)', () => {
  it('authorises with card details sent through POST /v1/auth', async () => {
    const created = expectPay(
      await api.post('/v1/payments', newPayment({ authorisation_mode: 'moto_api', moto: true, return_url: undefined })),
      'POST',
      '/v1/payments',
      201,
    );
    expect(created.authorisation_mode).toBe('moto_api');
    expect(created.moto).toBe(true);
    expect(created._links.next_url).toBeUndefined();
    expect(created._links.auth_url_post).toMatchObject({
      type: 'application/json',
      method: 'POST',
      href: 'http://localhost:3000/pay/v1/auth',
    });
    const token = created._links.auth_url_post.params.one_time_token;
    const auth = (body: object) =>
      t.app.inject({ method: 'POST', url: '/pay/v1/auth', headers: { 'content-type': 'application/json' }, payload: body });
    const card = {
      one_time_token: token,
      card_number: SANDBOX_CARDS.success,
      cvc: '123',
      expiry_date: expiry(),
      cardholder_name: 'J Citizen',
    };
    expect(expectPay(await auth({ ...card, cvc: undefined }), 'POST', '/v1/auth', 422)).toEqual({
      code: 'P0101',
      field: 'cvc',
      description: 'Missing mandatory attribute: cvc',
    });
    expect(expectPay(await auth({ ...card, expiry_date: '13/30' }), 'POST', '/v1/auth', 422)).toMatchObject({
      code: 'P0102',
      field: 'expiry_date',
    });
    expect(expectPay(await auth({ ...card, card_number: '4444333322221112' }), 'POST', '/v1/auth', 402)).toEqual({
      code: 'P0010',
      description: 'The card_number is not a valid card number',
    });
    expect(expectPay(await auth({ ...card, one_time_token: 'nope' }), 'POST', '/v1/auth', 400)).toMatchObject({ code: 'P1211' });
    expectPay(await auth(card), 'POST', '/v1/auth', 204);
    expect(expectPay(await auth(card), 'POST', '/v1/auth', 400)).toMatchObject({ code: 'P1212' });
    const p = (await api.get(`/v1/payments/${created.payment_id}`)).json();
    expect(p.state).toEqual({ status: 'success', finished: true });
    expect(p.card_details).toMatchObject({
      last_digits_card_number: '1111',
      first_digits_card_number: '444433',
      card_brand: 'Visa',
      card_type: 'credit',
      cardholder_name: 'J Citizen',
    });
    expect(p._links.auth_url_post).toBeUndefined();
    expect(p.settlement_summary.captured_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('declines (P0010) and errors (P0050) as GOV.UK Pay’s test cards do', async () => {
    for (const [card, status, code] of [
      [SANDBOX_CARDS.declined, 402, 'P0010'],
      [SANDBOX_CARDS.expired, 402, 'P0010'],
      [SANDBOX_CARDS.cvcError, 402, 'P0010'],
      [SANDBOX_CARDS.processingError, 500, 'P0050'],
    ] as const) {
      const { id, auth } = await paidByPhone({}, card);
      expect(expectPay(auth, 'POST', '/v1/auth', status).code).toBe(code);
      const p = (await api.get(`/v1/payments/${id}`)).json();
      expect(p.state).toMatchObject({ status: code === 'P0050' ? 'error' : 'failed', finished: true, code });
    }
  });
});

describe('delayed capture', () => {
  it('holds a payment as capturable until the service takes it', async () => {
    const { id } = await paidByPhone({ delayed_capture: true });
    const p = (await api.get(`/v1/payments/${id}`)).json();
    expect(p).toMatchObject({ delayed_capture: true, state: { status: 'capturable', finished: false } });
    expect(p._links.capture).toEqual({ href: `http://localhost:3000/pay/v1/payments/${id}/capture`, method: 'POST' });
    expectPay(await api.post(`/v1/payments/${id}/capture`), 'POST', '/v1/payments/{paymentId}/capture', 204);
    const after = (await api.get(`/v1/payments/${id}`)).json();
    expect(after.state).toEqual({ status: 'success', finished: true });
    expect(after.settlement_summary.capture_submit_time).toBeDefined();
    expectPay(await api.post(`/v1/payments/${id}/capture`), 'POST', '/v1/payments/{paymentId}/capture', 204); // capturing twice is harmless
    const created = (await api.post('/v1/payments', newPayment())).json();
    expect(
      expectPay(await api.post(`/v1/payments/${created.payment_id}/capture`), 'POST', '/v1/payments/{paymentId}/capture', 409),
    ).toEqual({ code: 'P1003', description: 'Payment cannot be captured' });
  });

  it('ends consistently when capture and cancel race', async () => {
    for (let i = 0; i < 6; i++) {
      const { id } = await paidByPhone({ delayed_capture: true, reference: `RACE-${i}` });
      const [cap, can] = await Promise.all([api.post(`/v1/payments/${id}/capture`), api.post(`/v1/payments/${id}/cancel`)]);
      const codes = [cap.statusCode, can.statusCode].sort();
      expect(codes).toEqual([204, 409]);
      const p = (await api.get(`/v1/payments/${id}`)).json();
      expect(p.state.status).toBe(cap.statusCode === 204 ? 'success' : 'cancelled');
      const events = (await api.get(`/v1/payments/${id}/events`)).json().events.map((e: any) => e.state.status);
      expect(events.filter((s: string) => s === 'success' || s === 'cancelled')).toHaveLength(1);
    }
  });
});

describe('refunds', () => {
  it('refunds in full or in part, with Pay’s refund errors', async () => {
    const { id } = await paidByPhone({ amount: 1000 });
    let p = (await api.get(`/v1/payments/${id}`)).json();
    expect(p.refund_summary).toEqual({ status: 'available', amount_available: 1000, amount_submitted: 0 });
    const r1 = expectPay(
      await api.post(`/v1/payments/${id}/refunds`, { amount: 600, refund_amount_available: 1000 }),
      'POST',
      '/v1/payments/{paymentId}/refunds',
      202,
    );
    expect(r1).toMatchObject({ amount: 600, status: 'success', payment_id: id });
    expect(r1._links.payment.href).toBe(`http://localhost:3000/pay/v1/payments/${id}`);
    expect(
      expectPay(await api.get(`/v1/payments/${id}/refunds/${r1.refund_id}`), 'GET', '/v1/payments/{paymentId}/refunds/{refundId}', 200),
    ).toMatchObject({ refund_id: r1.refund_id, amount: 600 });
    expect(
      expectPay(
        await api.post(`/v1/payments/${id}/refunds`, { amount: 100, refund_amount_available: 1000 }),
        'POST',
        '/v1/payments/{paymentId}/refunds',
        412,
      ),
    ).toEqual({ code: 'P0604', description: 'Refund amount available mismatch.' });
    expect(
      expectPay(await api.post(`/v1/payments/${id}/refunds`, { amount: 500 }), 'POST', '/v1/payments/{paymentId}/refunds', 400),
    ).toEqual({ code: 'P0603', description: 'The payment is not available for refund. Payment refund status: amount_not_available' });
    expect((await api.post(`/v1/payments/${id}/refunds`, {})).json()).toEqual({
      code: 'P0601',
      field: 'amount',
      description: 'Missing mandatory attribute: amount',
    });
    expect((await api.post(`/v1/payments/${id}/refunds`, { amount: -5 })).json()).toMatchObject({ code: 'P0602', field: 'amount' });
    expect((await api.post(`/v1/payments/${id}/refunds`, '{oops')).json()).toEqual({ code: 'P0697', description: 'Unable to parse JSON' });
    expectPay(await api.post(`/v1/payments/${id}/refunds`, { amount: 400 }), 'POST', '/v1/payments/{paymentId}/refunds', 202);
    p = (await api.get(`/v1/payments/${id}`)).json();
    expect(p.refund_summary).toEqual({ status: 'full', amount_available: 0, amount_submitted: 1000 });
    expect((await api.post(`/v1/payments/${id}/refunds`, { amount: 1 })).json().description).toBe(
      'The payment is not available for refund. Payment refund status: full',
    );
    const list = expectPay(await api.get(`/v1/payments/${id}/refunds`), 'GET', '/v1/payments/{paymentId}/refunds', 200);
    expect(list._embedded.refunds.map((r: any) => r.amount).sort()).toEqual([400, 600]);
    const search = expectPay(await api.get('/v1/refunds?display_size=1'), 'GET', '/v1/refunds', 200);
    expect(search.count).toBe(1);
    expect(search.total).toBeGreaterThanOrEqual(2);
    expect(expectPay(await api.get('/v1/refunds?to_settled_date=tomorrow'), 'GET', '/v1/refunds', 422).code).toBe('P1101');
    const pending = (await api.post('/v1/payments', newPayment())).json();
    expect((await api.post(`/v1/payments/${pending.payment_id}/refunds`, { amount: 1 })).json().description).toBe(
      'The payment is not available for refund. Payment refund status: pending',
    );
  });

  it('never refunds more than was paid, however many refunds race', async () => {
    const { id } = await paidByPhone({ amount: 1000 });
    const results = await Promise.all(Array.from({ length: 12 }, () => api.post(`/v1/payments/${id}/refunds`, { amount: 300 })));
    const ok = results.filter((r) => r.statusCode === 202);
    expect(ok).toHaveLength(3);
    expect(results.filter((r) => r.statusCode === 400).every((r) => r.json().code === 'P0603')).toBe(true);
    const { rows } = await t.kernel.db.query<{ n: number }>(
      `SELECT sum(amount)::int AS n FROM payments.refunds WHERE payment_id = $1 AND status <> 'error'`,
      [id],
    );
    expect(rows[0].n).toBe(900);
    expect((await api.get(`/v1/payments/${id}`)).json().refund_summary).toEqual({
      status: 'available',
      amount_available: 100,
      amount_submitted: 900,
    });
  });
});

describe('Idempotency-Key', () => {
  it('returns the same payment for the same key and body, and 409 for a different body', async () => {
    const key = `key-${Date.now()}`;
    const first = expectPay(await api.post('/v1/payments', newPayment(), { 'idempotency-key': key }), 'POST', '/v1/payments', 201);
    const again = expectPay(await api.post('/v1/payments', newPayment(), { 'idempotency-key': key }), 'POST', '/v1/payments', 200);
    expect(again.payment_id).toBe(first.payment_id);
    const conflict = expectPay(
      await api.post('/v1/payments', newPayment({ amount: 1 }), { 'idempotency-key': key }),
      'POST',
      '/v1/payments',
      409,
    );
    expect(conflict).toEqual({
      code: 'P0191',
      header: 'Idempotency-Key',
      description: 'The Idempotency-Key you sent in the request header has already been used to create a payment.',
    });
    // With optional fields (the insert then sends other columns), the replay is the created payment as stored.
    const rich = newPayment({ email: 'payer@example.com', metadata: { ledger_code: 'AB1', vat: true }, language: 'cy' });
    const made = expectPay(await api.post('/v1/payments', rich, { 'idempotency-key': `${key}-rich` }), 'POST', '/v1/payments', 201);
    expect(expectPay(await api.post('/v1/payments', rich, { 'idempotency-key': `${key}-rich` }), 'POST', '/v1/payments', 200)).toEqual(
      made,
    );
    expect(expectPay(await api.get(`/v1/payments/${made.payment_id}`), 'GET', '/v1/payments/{paymentId}', 200)).toEqual(made);
    // Keys belong to a ledger: the same key on another service makes its own payment.
    const other = await payFixture(t);
    expect((await payClient(t, other.keys.test).post('/v1/payments', newPayment(), { 'idempotency-key': key })).statusCode).toBe(201);
  });

  it('makes one payment from 100 concurrent requests with one key', async () => {
    const key = `burst-${Date.now()}`;
    const body = newPayment({ reference: key });
    const results = await Promise.all(Array.from({ length: 100 }, () => api.post('/v1/payments', body, { 'idempotency-key': key })));
    expect(results.map((r) => r.statusCode).sort((x, y) => x - y)).toEqual([...Array(99).fill(200), 201]);
    expect(new Set(results.map((r) => r.json().payment_id)).size).toBe(1);
    const { rows } = await t.kernel.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payments.payments WHERE reference = $1', [key]);
    expect(rows[0].n).toBe(1);
  });
});

describe('agreements and recurring payments', () => {
  it('creates, sets up with a first payment, charges, and cancels an agreement', async () => {
    const a = expectPay(
      await api.post('/v1/agreements', {
        reference: 'CT-22-23-0001',
        description: 'Council tax by monthly instalments',
        user_identifier: 'user-3fb81107',
      }),
      'POST',
      '/v1/agreements',
      201,
    );
    expect(a).toMatchObject({ reference: 'CT-22-23-0001', status: 'created', user_identifier: 'user-3fb81107' });
    expect(a.agreement_id).toMatch(/^[0-9a-v]{26}$/);
    expect(expectPay(await api.post('/v1/agreements', { description: 'x' }), 'POST', '/v1/agreements', 400)).toEqual({
      code: 'P2101',
      field: 'reference',
      description: 'Missing mandatory attribute: reference',
    });
    expect(
      expectPay(await api.post('/v1/agreements', { reference: 'x'.repeat(256), description: 'x' }), 'POST', '/v1/agreements', 422).code,
    ).toBe('P2102');
    // Not active yet: it cannot be charged or cancelled.
    expect(
      (
        await api.post('/v1/payments', newPayment({ authorisation_mode: 'agreement', agreement_id: a.agreement_id, return_url: undefined }))
      ).json().code,
    ).toBe('P0103');
    expect(
      expectPay(await api.post(`/v1/agreements/${a.agreement_id}/cancel`), 'POST', '/v1/agreements/{agreementId}/cancel', 400),
    ).toEqual({ code: 'P2501', description: 'Cancellation of agreement failed' });

    await setUpWithCard(a.agreement_id, SANDBOX_CARDS.success);
    const active = expectPay(await api.get(`/v1/agreements/${a.agreement_id}`), 'GET', '/v1/agreements/{agreementId}', 200);
    expect(active.status).toBe('active');
    expect(active.payment_instrument).toMatchObject({
      type: 'card',
      card_details: { last_digits_card_number: '1111', card_brand: 'Visa' },
    });

    const recurring = expectPay(
      await api.post('/v1/payments', {
        amount: 2500,
        reference: 'CT-2',
        description: 'Instalment 2',
        authorisation_mode: 'agreement',
        agreement_id: a.agreement_id,
        agreement_payment_type: 'instalment',
      }),
      'POST',
      '/v1/payments',
      201,
    );
    expect(recurring).toMatchObject({
      authorisation_mode: 'agreement',
      agreement_id: a.agreement_id,
      state: { status: 'success', finished: true },
    });
    expect(recurring._links.next_url).toBeUndefined();
    expect(
      (await api.post('/v1/payments', { ...newPayment(), authorisation_mode: 'agreement', agreement_id: a.agreement_id })).json(),
    ).toMatchObject({ code: 'P0104', field: 'return_url' });
    const byAgreement = (await api.get(`/v1/payments?agreement_id=${a.agreement_id}`)).json();
    expect(byAgreement.total).toBe(2);

    const search = expectPay(await api.get('/v1/agreements?status=active&reference=ct-22-23-0001'), 'GET', '/v1/agreements', 200);
    expect(search.results.map((x: any) => x.agreement_id)).toContain(a.agreement_id);
    expect(expectPay(await api.get('/v1/agreements?status=open'), 'GET', '/v1/agreements', 422).code).toBe('P2401');
    expectPay(await api.post(`/v1/agreements/${a.agreement_id}/cancel`), 'POST', '/v1/agreements/{agreementId}/cancel', 204);
    const cancelled = (await api.get(`/v1/agreements/${a.agreement_id}`)).json();
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelled_date).toBeDefined();
  });

  it('declines later payments on the recurring test card, and the agreement becomes inactive', async () => {
    const a = (await api.post('/v1/agreements', { reference: 'R-1', description: 'Garden waste' })).json();
    await setUpWithCard(a.agreement_id, SANDBOX_CARDS.recurringSubsequentDecline);
    expect((await api.get(`/v1/agreements/${a.agreement_id}`)).json().status).toBe('active');
    const next = (
      await api.post('/v1/payments', {
        amount: 500,
        reference: 'R-2',
        description: 'Garden waste',
        authorisation_mode: 'agreement',
        agreement_id: a.agreement_id,
      })
    ).json();
    expect(next.state).toEqual({ status: 'failed', finished: true, code: 'P0010', message: 'Payment method rejected', can_retry: false });
    expect((await api.get(`/v1/agreements/${a.agreement_id}`)).json().status).toBe('inactive');
  });
});

describe('disputes', () => {
  it('lists disputes the sandbox reports for GOV.UK Pay’s dispute test cards', async () => {
    const lost = await paidByPhone({ amount: 2000 }, SANDBOX_CARDS.disputeLost);
    await paidByPhone({ amount: 3000 }, SANDBOX_CARDS.disputeWon);
    const all = expectPay(await api.get('/v1/disputes'), 'GET', '/v1/disputes', 200);
    expect(all.total).toBe(2);
    expect(all.links.self.href).toContain('/pay/v1/disputes');
    const l = expectPay(await api.get('/v1/disputes?status=lost'), 'GET', '/v1/disputes', 200).results[0];
    expect(l).toMatchObject({ payment_id: lost.id, amount: 2000, fee: 1500, net_amount: -3500, status: 'lost', reason: 'fraudulent' });
    expect(l.settlement_summary.settled_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(expectPay(await api.get('/v1/disputes?status=pending'), 'GET', '/v1/disputes', 422).code).toBe('P0401');
  });
});

describe('rate limits', () => {
  it('answers 429 with P0900 past the per-key limit', async () => {
    const small = await buildTestApp({ pay: { ...t.kernel.config.pay, rateLimitPostPerSecond: 3 } });
    try {
      const g = await payFixture(small);
      const c = payClient(small, g.keys.test);
      const results = await Promise.all(Array.from({ length: 8 }, () => c.post('/v1/payments', newPayment())));
      const limited = results.filter((r) => r.statusCode === 429);
      expect(limited.length).toBeGreaterThan(0);
      for (const r of limited) {
        expect(contract.check('POST', '/v1/payments', 429, r.json())).toBeNull();
        expect(r.json()).toEqual({ code: 'P0900', description: 'Too many requests' });
        expect(r.headers['retry-after']).toBe('1');
      }
      // The limit is per operation: reading is not held back by the creates.
      const created = results.find((r) => r.statusCode === 201)!.json();
      expect((await c.get(`/v1/payments/${created.payment_id}`)).statusCode).toBe(200);
      // Another key has its own allowance.
      const h = await payFixture(small);
      expect((await payClient(small, h.keys.test).post('/v1/payments', newPayment())).statusCode).toBe(201);
    } finally {
      await small.close();
    }
  });
});

describe('API keys', () => {
  it('stops a revoked key at once, even while verified keys are remembered', async () => {
    const cached = await buildTestApp({ pay: { ...t.kernel.config.pay, keyCacheSeconds: 60 } });
    try {
      const g = await payFixture(cached);
      const catalogue = cached.modules.catalogue.service;
      const { key, secret } = await catalogue.createApiKey({ kind: 'cli' }, { serviceSlug: g.service.slug, platform: 'pay', type: 'test' });
      const c = payClient(cached, secret);
      expect((await c.post('/v1/payments', newPayment())).statusCode).toBe(201);
      await catalogue.revokeApiKey({ kind: 'cli' }, key.id);
      const refused = await c.post('/v1/payments', newPayment());
      expect(refused.statusCode).toBe(401);
      expect(contract.check('POST', '/v1/payments', 401, refused.json())).toBeNull();
      expect((await payClient(cached, g.keys.test).post('/v1/payments', newPayment())).statusCode).toBe(201); // the service's other keys still work
    } finally {
      await cached.close();
    }
  });
});

describe('the contract', () => {
  it('has exercised every operation in publicapi_spec.json', () => {
    const all = Object.entries(contract.spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(all.filter((op) => !checked.has(op))).toEqual([]);
  });
});

/** Take an agreement's first payment through the hosted pages with this card. */
async function setUpWithCard(agreementId: string, card: string) {
  const p = (await api.post('/v1/payments', newPayment({ amount: 1000, set_up_agreement: agreementId }))).json();
  const b = payBrowser(t);
  const page = await b.follow(await b.get(p._links.next_url.href));
  expect(page.body).toContain('recurring payment agreement');
  expect((await b.post(`/pay/card/${p.payment_id}`, cardFields({ card_number: card }))).headers.location).toBe(
    `/pay/card/${p.payment_id}/confirm`,
  );
  await b.post(`/pay/card/${p.payment_id}/confirm`, {});
  expect((await api.get(`/v1/payments/${p.payment_id}`)).json().state.status).toBe('success');
}
