// The hosted payment pages through HTTP as a browser without JavaScript uses them (cookies,
// CSRF tokens, forms, redirects): success, decline, 3-D Secure, cancel, expiry, Welsh, a
// single-use next_url bound to one browser — and no card number or security code stored in
// any table or written to any log line.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { cardFields, newPayment, payBrowser, payClient, payFixture } from './testing.js';
import { SANDBOX_CARDS } from './gateways/sandbox.js';
import { createPaymentsModule } from './index.js';

let t: TestApp;
let api: ReturnType<typeof payClient>;
let serviceName: string;

// Everything the process writes to stdout/stderr (pino's destination) while this file runs.
const logged: string[] = [];
const realWrite = fs.write;
const realWriteSync = fs.writeSync;

beforeAll(async () => {
  (fs as any).write = (fd: number, buf: any, ...rest: any[]) => {
    if (fd === 1 || fd === 2) {
      logged.push(String(buf));
      const cb = rest.find((x) => typeof x === 'function');
      const n = Buffer.byteLength(String(buf));
      if (cb) process.nextTick(cb, null, n);
      return;
    }
    return (realWrite as any)(fd, buf, ...rest);
  };
  (fs as any).writeSync = (fd: number, buf: any, ...rest: any[]) => {
    if (fd === 1 || fd === 2) {
      logged.push(String(buf));
      return Buffer.byteLength(String(buf));
    }
    return (realWriteSync as any)(fd, buf, ...rest);
  };
  t = await buildTestApp({ logLevel: 'trace' });
  const f = await payFixture(t);
  serviceName = f.service.name;
  api = payClient(t, f.keys.test);
});
afterAll(async () => {
  await t?.close();
  (fs as any).write = realWrite;
  (fs as any).writeSync = realWriteSync;
});

async function start(over: Record<string, unknown> = {}) {
  const p = (await api.post('/v1/payments', newPayment(over))).json();
  const b = payBrowser(t);
  const bound = await b.get(p._links.next_url.href);
  expect(bound.statusCode).toBe(303);
  const page = await b.follow(bound);
  return { p, b, page, id: p.payment_id as string };
}
const state = async (id: string) => (await api.get(`/v1/payments/${id}`)).json();
const h1 = (html: string) => /<h1[^>]*>([^<]*)/.exec(html)?.[1].trim();

describe('hosted payment pages', () => {
  it('takes a payment: card details, confirm, back to the service', async () => {
    const { b, page, id } = await start({ email: 'prefilled@example.org' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(h1(page.body)).toBe('Enter card details');
    expect(page.body).toContain(serviceName);
    expect(page.body).toContain('£145.00');
    expect(page.body).toContain('value="prefilled@example.org"');
    expect(page.body).toMatch(/name="_csrf" value="[^"]+"/);
    expect((await state(id)).state.status).toBe('started');

    const confirm = await b.post(`/pay/card/${id}`, cardFields({ card_number: '4444 3333 2222 1111' }));
    expect(confirm.headers.location).toBe(`/pay/card/${id}/confirm`);
    expect((await state(id)).state.status).toBe('submitted');
    const summary = await b.follow(confirm);
    expect(h1(summary.body)).toBe('Confirm your payment');
    expect(summary.body).toContain('Visa ending in 1111');
    expect(summary.body).toContain('221 Baker Street');
    const done = await b.post(`/pay/card/${id}/confirm`, {});
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('https://service.example.gov.uk/completed');
    const paid = await state(id);
    expect(paid.state).toEqual({ status: 'success', finished: true });
    expect(paid.email).toBe('sherlock.holmes@example.com');
    expect(paid.card_details.billing_address).toEqual({
      line1: '221 Baker Street',
      line2: 'Flat b',
      city: 'London',
      postcode: 'NW1 6XE',
      country: 'GB',
    });
    // Coming back after success goes straight to the service.
    expect((await b.get(`/pay/card/${id}`)).headers.location).toBe('https://service.example.gov.uk/completed');
  });

  it('checks the card form and says what is wrong, in GOV.UK style', async () => {
    const { b, id } = await start();
    const res = await b.post(
      `/pay/card/${id}`,
      cardFields({
        card_number: '4444333322221112',
        expiry_month: '1',
        expiry_year: '20',
        cvc: '12',
        cardholder_name: '',
        address_postcode: 'nope',
        email: 'no-at-sign',
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('There is a problem');
    for (const [href, text] of [
      ['#card-no', 'Enter a valid card number'],
      ['#expiry-month', 'Enter a valid expiry date'],
      ['#cardholder-name', 'Enter the name as it appears on the card'],
      ['#cvc', 'Enter a valid card security code'],
      ['#address-postcode', 'Enter a real postcode'],
      ['#email', 'Enter an email address in the correct format'],
    ]) {
      expect(res.body).toContain(`href="${href}">${text}`);
    }
    expect(res.body).not.toMatch(/name="cvc"[^>]*value=/);
    const maestro = await b.post(`/pay/card/${id}`, cardFields({ card_number: SANDBOX_CARDS.notAccepted }));
    expect(maestro.body).toContain('Maestro is not supported');
    expect((await state(id)).state.status).toBe('started');
  });

  it('shows the decline page (P0010) with a way back to the service', async () => {
    const { b, id } = await start();
    const res = await b.post(`/pay/card/${id}`, cardFields({ card_number: SANDBOX_CARDS.declined }));
    expect(res.headers.location).toBe(`/pay/card/${id}/done`);
    const page = await b.follow(res);
    expect(h1(page.body)).toBe('Your payment has been declined');
    expect(page.body).toContain('href="https://service.example.gov.uk/completed"');
    expect((await state(id)).state).toEqual({ status: 'failed', finished: true, code: 'P0010', message: 'Payment method rejected' });
  });

  it('shows the technical problems page for a gateway error (P0050)', async () => {
    const { b, id } = await start();
    const page = await b.follow(await b.post(`/pay/card/${id}`, cardFields({ card_number: SANDBOX_CARDS.processingError })));
    expect(h1(page.body)).toBe('We’re experiencing technical problems');
    expect((await state(id)).state).toMatchObject({ status: 'error', code: 'P0050' });
  });

  it('asks for the bank’s check (3-D Secure) when the gateway wants it', async () => {
    const pass = await start();
    const to3ds = await pass.b.post(`/pay/card/${pass.id}`, cardFields({ card_number: SANDBOX_CARDS.threeDs }));
    expect(to3ds.headers.location).toBe(`/pay/card/${pass.id}/3ds`);
    const challenge = await pass.b.follow(to3ds);
    expect(h1(challenge.body)).toBe('Your bank needs to check it’s you');
    expect((await state(pass.id)).state.status).toBe('started');
    const ok = await pass.b.post(`/pay/card/${pass.id}/3ds`, { result: 'authenticated' });
    expect(ok.headers.location).toBe(`/pay/card/${pass.id}/confirm`);
    await pass.b.post(`/pay/card/${pass.id}/confirm`, {});
    const paid = await state(pass.id);
    expect(paid.state.status).toBe('success');
    expect(paid.authorisation_summary).toEqual({ three_d_secure: { required: true } });

    const fail = await start();
    await fail.b.post(`/pay/card/${fail.id}`, cardFields({ card_number: SANDBOX_CARDS.threeDs }));
    const failed = await fail.b.follow(await fail.b.post(`/pay/card/${fail.id}/3ds`, { result: 'failed' }));
    expect(h1(failed.body)).toBe('Your payment has been declined');
    expect((await state(fail.id)).state.code).toBe('P0010');
  });

  it('lets the paying user cancel (P0030), before or after entering their card', async () => {
    const early = await start();
    const page = await early.b.follow(await early.b.post(`/pay/card/${early.id}/cancel`, {}));
    expect(h1(page.body)).toBe('Your payment has been cancelled');
    expect((await state(early.id)).state).toEqual({
      status: 'failed',
      finished: true,
      code: 'P0030',
      message: 'Payment was cancelled by the user',
    });

    const late = await start();
    await late.b.post(`/pay/card/${late.id}`, cardFields());
    await late.b.post(`/pay/card/${late.id}/cancel`, {});
    expect((await state(late.id)).state.code).toBe('P0030');
  });

  it('expires a payment not finished within 90 minutes (P0020)', async () => {
    const visited = await start();
    const untouched = (await api.post('/v1/payments', newPayment())).json();
    await t.kernel.db.query(`UPDATE payments.payments SET created_at = now() - interval '91 minutes' WHERE payment_id = ANY($1)`, [
      [visited.id, untouched.payment_id],
    ]);
    const page = await visited.b.follow(await visited.b.get(`/pay/card/${visited.id}`));
    expect(h1(page.body)).toBe('Your payment session has expired');
    expect((await state(visited.id)).state).toEqual({ status: 'failed', finished: true, code: 'P0020', message: 'Payment expired' });
    expect(await t.modules.payments.service.payments.expireStale()).toBeGreaterThanOrEqual(1);
    const { rows } = await t.kernel.db.query<{ status: string; code: string }>(
      'SELECT status, code FROM payments.payments WHERE payment_id = $1',
      [untouched.payment_id],
    );
    expect(rows[0]).toEqual({ status: 'failed', code: 'P0020' });
    const { rows: events } = await t.kernel.db.query(
      `SELECT 1 FROM kernel.events WHERE type = 'payments.card_payment_expired' AND payload->>'payment_id' = $1`,
      [untouched.payment_id],
    );
    expect(events).toHaveLength(1);
  });

  it('speaks Welsh when the payment was created with language: cy', async () => {
    const { b, page, id } = await start({ language: 'cy' });
    expect(page.body).toContain('<html lang="cy"');
    expect(h1(page.body)).toBe('Rhowch fanylion y cerdyn');
    const bad = await b.post(`/pay/card/${id}`, cardFields({ card_number: '' }));
    expect(bad.body).toContain('Rhowch rif eich cerdyn');
    const declined = await b.follow(await b.post(`/pay/card/${id}`, cardFields({ card_number: SANDBOX_CARDS.declined })));
    expect(h1(declined.body)).toBe('Mae eich taliad wedi’i wrthod');
  });

  it('offers a language switch that the paying user can use mid-payment, remembered for that payment', async () => {
    const { b, page, id } = await start();
    expect(page.body).toContain('<html lang="en"');
    const link = /<a class="govuk-link" href="([^"]+)" lang="cy" hreflang="cy">Cymraeg<\/a>/.exec(page.body);
    expect(link?.[1]).toBe(`/pay/card/${id}?lang=cy`);
    const welsh = await b.get(link![1].replace(/&amp;/g, '&'));
    expect(h1(welsh.body)).toBe('Rhowch fanylion y cerdyn');
    expect(welsh.body).toMatch(/href="\/pay\/card\/[^"?]+\?lang=en" lang="en" hreflang="en">English/);
    // The choice holds for the rest of this payment's pages, errors and confirmation included.
    const bad = await b.post(`/pay/card/${id}`, cardFields({ card_number: '' }));
    expect(bad.body).toContain('Rhowch rif eich cerdyn');
    const confirm = await b.follow(await b.post(`/pay/card/${id}`, cardFields({ address_country: 'DE' })));
    expect(confirm.body).toContain('<html lang="cy"');
    expect(confirm.body).toContain('Yr Almaen');
    // …and only for this payment: the next one opens in the language the service chose.
    expect((await start()).page.body).toContain('<html lang="en"');
  });

  it('names every billing country in Welsh on a Welsh card page, and says the security code hint in whole sentences', async () => {
    const { page } = await start({ language: 'cy' });
    const options = [...page.body.matchAll(/<option value="([A-Z]{2})"[^>]*>([^<]+)<\/option>/g)].map((m) => [m[1], m[2].trim()]);
    expect(options).toHaveLength(33);
    const cy = JSON.parse(fs.readFileSync(new URL('./locales/countries.cy.json', import.meta.url), 'utf8'));
    const en = JSON.parse(fs.readFileSync(new URL('./locales/countries.en.json', import.meta.url), 'utf8'));
    for (const [code, name] of options) expect(name).toBe(cy[code]);
    // CLDR's Welsh names: most differ from the English (Sweden, Japan and a few others are the same in both).
    expect(options.filter(([code, name]) => name !== en[code]).length).toBeGreaterThanOrEqual(24);
    const hint = (html: string) => /<div id="cvc-hint" class="govuk-hint">\s*([^<]+?)\s*<\/div>/.exec(html)?.[1];
    expect(hint(page.body)).toBe('Y 3 digid olaf ar gefn y cerdyn. Mae gan gardiau American Express god 4 digid ar y blaen.');
    expect(hint((await start()).page.body)).toBe(
      'The last 3 digits on the back of the card. American Express cards have a 4-digit code on the front.',
    );
  });

  it('uses a next_url once, for one browser', async () => {
    const p = (await api.post('/v1/payments', newPayment())).json();
    const b = payBrowser(t);
    expect((await b.get(p._links.next_url.href)).statusCode).toBe(303);
    const again = await payBrowser(t).get(p._links.next_url.href);
    expect(again.statusCode).toBe(403);
    expect(h1(again.body)).toBe('This payment link is no longer valid');
    // Another browser cannot use the bound payment's pages.
    expect((await payBrowser(t).get(`/pay/card/${p.payment_id}`)).statusCode).toBe(403);
    // Resuming: GET the payment again for a fresh next_url, which moves the journey to the new browser.
    const fresh = (await api.get(`/v1/payments/${p.payment_id}`)).json();
    expect(fresh._links.next_url.href).not.toBe(p._links.next_url.href);
    const other = payBrowser(t);
    expect((await other.follow(await other.get(fresh._links.next_url.href))).statusCode).toBe(200);
    expect((await b.get(`/pay/card/${p.payment_id}`)).statusCode).toBe(403);
    // A forged token is refused.
    expect((await payBrowser(t).get(p._links.next_url.href.replace(/.$/, (c: string) => (c === 'A' ? 'B' : 'A')))).statusCode).toBe(403);
  });

  it('accepts next_url_post from the service’s own page, and needs a CSRF token on our forms', async () => {
    const p = (await api.post('/v1/payments', newPayment())).json();
    const b = payBrowser(t);
    const res = await b.post(p._links.next_url_post.href, { chargeTokenId: p._links.next_url_post.params.chargeTokenId }, { csrf: false });
    expect(res.headers.location).toBe(`/pay/card/${p.payment_id}`);
    await b.follow(res);
    const forged = await b.post(`/pay/card/${p.payment_id}`, cardFields(), { csrf: false });
    expect(forged.statusCode).toBe(403);
    expect((await state(p.payment_id)).state.status).toBe('started');
  });

  it('never stores or logs a card number or security code', async () => {
    const pan = '4000056655665556';
    const { b, id } = await start();
    await b.post(`/pay/card/${id}`, cardFields({ card_number: pan, cvc: '737' }));
    await b.post(`/pay/card/${id}/confirm`, {});
    const moto = (await api.post('/v1/payments', newPayment({ authorisation_mode: 'moto_api', return_url: undefined }))).json();
    const token = moto._links.auth_url_post.params.one_time_token;
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/pay/v1/auth',
          headers: { 'content-type': 'application/json' },
          payload: { one_time_token: token, card_number: pan, cvc: '737', expiry_date: '12/39', cardholder_name: 'Card Logger' },
        })
      ).statusCode,
    ).toBe(204);
    expect((await state(id)).card_details).toMatchObject({ first_digits_card_number: '400005', last_digits_card_number: '5556' });

    const { rows: tables } = await t.kernel.db.query<{ s: string; n: string }>(
      `SELECT table_schema AS s, table_name AS n FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const { s, n } of tables) {
      const { rows } = await t.kernel.db.query<{ hits: number }>(
        `SELECT count(*)::int AS hits FROM "${s}"."${n}" x WHERE x::text LIKE $1 OR x::text ILIKE '%cvc%737%'`,
        [`%${pan}%`],
      );
      expect(rows[0].hits, `${s}.${n}`).toBe(0);
    }
    const log = logged.join('');
    expect(log.length).toBeGreaterThan(1000); // trace logging was on
    expect(log).toContain(id);
    expect(log).not.toContain(pan);
    expect(log).not.toContain('4000 0566');
    expect(log).not.toMatch(/"cvc"\s*:\s*"737"/);
  });
});

describe('receipts', () => {
  it('sends the paying user a receipt through the notify dependency, in their language', async () => {
    const sent: any[] = [];
    const m = createPaymentsModule({
      ...t.kernel,
      catalogue: t.modules.catalogue.service,
      notify: {
        sendEmail: async (x) => {
          sent.push(x);
        },
      },
    });
    const { b, id } = await start({ language: 'cy' });
    await b.post(`/pay/card/${id}`, cardFields());
    await b.post(`/pay/card/${id}/confirm`, {});
    await m.service.receipts.send(id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: 'sherlock.holmes@example.com', subject: 'Cadarnhad o’ch taliad', reference: id });
    expect(sent[0].body).toContain('£145.00');
    const without = createPaymentsModule({ ...t.kernel, catalogue: t.modules.catalogue.service });
    await without.service.receipts.send(id); // no notify: nothing to do, no error
  });

  it('sends receipts through the real notify module as the paying service (as wired in app.ts)', async () => {
    const { b, id } = await start({});
    await b.post(`/pay/card/${id}`, cardFields());
    await b.post(`/pay/card/${id}/confirm`, {});
    await t.modules.payments.service.receipts.send(id);
    const { rows } = await t.kernel.db.query<{ to: string; template_name: string }>(
      `SELECT n.recipient AS to, t.name AS template_name FROM notify.notifications n JOIN notify.templates t ON t.id = n.template_id WHERE n.reference = $1`,
      [id],
    );
    expect(rows).toEqual([{ to: 'sherlock.holmes@example.com', template_name: 'Payment receipt (Cityscape Pay)' }]);
  });
});
