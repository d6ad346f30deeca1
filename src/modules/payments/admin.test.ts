// The payments staff console through HTTP as a signed-in staff member: transactions with
// filters, CSV export, totals per day, a payment's timeline and a refund, permissions by
// organisation, webhooks, and a payment link whose public page takes a payment into the ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, staffBrowser, type TestApp } from '../../../test/helpers.js';
import { cardFields, cli, newPayment, payBrowser, payClient, payFixture } from './testing.js';
import { SANDBOX_CARDS } from './gateways/sandbox.js';

const PASSWORD = 'a long enough password';
let t: TestApp;
let f: Awaited<ReturnType<typeof payFixture>>;
let api: ReturnType<typeof payClient>;

const signIn = async (email: string) => payBrowser(t, await staffBrowser(t, email, PASSWORD));

async function paid(over: Record<string, unknown> = {}) {
  const p = (await api.post('/v1/payments', newPayment({ authorisation_mode: 'moto_api', return_url: undefined, ...over }))).json();
  await t.app.inject({
    method: 'POST',
    url: '/pay/v1/auth',
    headers: { 'content-type': 'application/json' },
    payload: {
      one_time_token: p._links.auth_url_post.params.one_time_token,
      card_number: SANDBOX_CARDS.success,
      cvc: '123',
      expiry_date: '12/39',
      cardholder_name: 'Ada Lovelace',
    },
  });
  return p.payment_id as string;
}

beforeAll(async () => {
  t = await buildTestApp();
  f = await payFixture(t);
  api = payClient(t, f.keys.test);
  const c = t.modules.catalogue.service;
  await c.createStaff(cli, { email: 'pay.admin@example.org', password: PASSWORD, role: 'platform_admin' });
  const other = await payFixture(t);
  await c.createStaff(cli, {
    email: 'elsewhere@example.org',
    password: PASSWORD,
    role: 'organisation_admin',
    organisationSlug: other.org.slug,
  });
  await c.createStaff(cli, { email: 'team@example.org', password: PASSWORD, role: 'service_team', organisationSlug: f.org.slug });
});
afterAll(async () => {
  await t?.close();
});

describe('payments console', () => {
  it('needs a signed-in staff member who may work on the service', async () => {
    const anon = await payBrowser(t).get(`/admin/pay/${f.service.slug}`);
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe(`/admin/sign-in?next=${encodeURIComponent(`/admin/pay/${f.service.slug}`)}`);
    const stranger = await signIn('elsewhere@example.org');
    expect((await stranger.get(`/admin/pay/${f.service.slug}?mode=test`)).statusCode).toBe(403);
    expect((await stranger.get('/admin/pay')).body).not.toContain(f.service.name);
    const team = await signIn('team@example.org');
    expect((await team.get(`/admin/pay/${f.service.slug}?mode=test`)).statusCode).toBe(200);
  });

  it('lists, filters and exports transactions, and totals them per day', async () => {
    const id = await paid({ reference: 'INV-001', amount: 2500, email: 'ada@example.org' });
    await paid({ reference: '=HYPERLINK("http://evil")', amount: 1000 });
    await api.post('/v1/payments', newPayment({ reference: 'INV-UNPAID' }));
    const b = await signIn('pay.admin@example.org');
    expect((await b.get('/admin/pay')).body).toContain(f.service.name);
    const list = await b.get(`/admin/pay/${f.service.slug}?mode=test`);
    expect(list.statusCode).toBe(200);
    for (const ref of ['INV-001', 'INV-UNPAID']) expect(list.body).toContain(ref);
    const filtered = await b.get(`/admin/pay/${f.service.slug}?mode=test&status=success&reference=INV-001`);
    expect(filtered.body).toContain('INV-001');
    expect(filtered.body).not.toContain('INV-UNPAID');
    expect(filtered.body).toContain('1 transactions');
    // The live ledger is separate.
    expect((await b.get(`/admin/pay/${f.service.slug}?mode=live`)).body).not.toContain('INV-001');

    const csv = await b.get(`/admin/pay/${f.service.slug}/transactions.csv?mode=test&status=success`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename=".*-test-transactions-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^Reference,Description,Email,Amount,Card Brand/);
    expect(lines).toHaveLength(3);
    expect(csv.body).toContain(`INV-001,Pay your council tax,ada@example.org,25.00,Visa,Ada Lovelace,12/39,1111,success,true,,,`);
    expect(csv.body).toContain(id);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil"")"`); // never a live formula in a spreadsheet

    const totals = await b.get(`/admin/pay/${f.service.slug}/totals?mode=test`);
    expect(totals.statusCode).toBe(200);
    expect(totals.body).toContain('£35.00');
  });

  it('shows a payment’s timeline and refunds it, recording who did', async () => {
    const id = await paid({ reference: 'REFUND-ME', amount: 3000 });
    const b = await signIn('pay.admin@example.org');
    const page = await b.get(`/admin/pay/${f.service.slug}/payments/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(
      /<ol class="govuk-list govuk-list--number" id="timeline">[\s\S]*created[\s\S]*started[\s\S]*submitted[\s\S]*success/,
    );
    expect(page.body).toContain('Up to £30.00');
    const tooMuch = await b.post(`/admin/pay/${f.service.slug}/payments/${id}/refund`, { amount: '31.00' });
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.body).toContain('Enter an amount no more than the amount available to refund');
    const done = await b.post(`/admin/pay/${f.service.slug}/payments/${id}/refund`, { amount: '12.50' });
    expect(done.headers.location).toBe(`/admin/pay/${f.service.slug}/payments/${id}?done=refunded`);
    const after = await b.follow(done);
    expect(after.body).toContain('The refund has been sent');
    expect(after.body).toContain('£12.50 – success');
    expect((await api.get(`/v1/payments/${id}`)).json().refund_summary).toEqual({
      status: 'available',
      amount_available: 1750,
      amount_submitted: 1250,
    });
    const { rows } = await t.kernel.db.query<{ refunded_by: string }>('SELECT refunded_by FROM payments.refunds WHERE payment_id = $1', [
      id,
    ]);
    expect(rows[0].refunded_by).toBe('staff:pay.admin@example.org');
    const [entry] = await t.kernel.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ action: 'payment.refund', actor: 'staff:pay.admin@example.org', subject: `payments.payment:${id}` });

    const open = (await api.post('/v1/payments', newPayment())).json();
    const cancelled = await b.post(`/admin/pay/${f.service.slug}/payments/${open.payment_id}/cancel`, {});
    expect(cancelled.headers.location).toContain('done=cancelled');
    expect((await api.get(`/v1/payments/${open.payment_id}`)).json().state.code).toBe('P0040');
  });

  it('cancels and captures with the audit entry in the change’s own transaction: no entry, no change', async () => {
    const b = await signIn('pay.admin@example.org');
    const open = (await api.post('/v1/payments', newPayment())).json().payment_id as string;
    const held = await paid({ delayed_capture: true });
    expect((await api.get(`/v1/payments/${held}`)).json().state.status).toBe('capturable');
    // The audit log refuses entries about these two payments, as a failing write would.
    await t.kernel.db.exec(`CREATE FUNCTION public.refuse_audit_in_test() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.subject IN ('payments.payment:${open}', 'payments.payment:${held}') THEN RAISE EXCEPTION 'audit refused in test'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_audit_in_test BEFORE INSERT ON kernel.audit_log FOR EACH ROW EXECUTE FUNCTION public.refuse_audit_in_test()`);
    try {
      expect((await b.post(`/admin/pay/${f.service.slug}/payments/${open}/cancel`, {})).statusCode).toBe(500);
      expect((await b.post(`/admin/pay/${f.service.slug}/payments/${held}/capture`, {})).statusCode).toBe(500);
      expect((await api.get(`/v1/payments/${open}`)).json().state.status).toBe('created');
      expect((await api.get(`/v1/payments/${held}`)).json().state.status).toBe('capturable');
    } finally {
      await t.kernel.db.exec('DROP TRIGGER refuse_audit_in_test ON kernel.audit_log; DROP FUNCTION public.refuse_audit_in_test()');
    }
    expect((await b.post(`/admin/pay/${f.service.slug}/payments/${held}/capture`, {})).headers.location).toContain('done=captured');
    expect((await api.get(`/v1/payments/${held}`)).json().state.status).toBe('success');
    const [entry] = await t.kernel.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ action: 'payment.capture', actor: 'staff:pay.admin@example.org', subject: `payments.payment:${held}` });
  });

  it('creates a webhook and shows its signing secret and delivery log', async () => {
    const b = await signIn('pay.admin@example.org');
    const form = await b.get(`/admin/pay/${f.service.slug}/webhooks?mode=test`);
    expect(form.body).toContain('Payment succeeded');
    const bad = await b.post(`/admin/pay/${f.service.slug}/webhooks?mode=test`, {
      mode: 'test',
      callback_url: 'ftp://nope',
      description: '',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('href="#callback_url"');
    expect(bad.body).toContain('href="#subscriptions"');
    const ok = await b.post(`/admin/pay/${f.service.slug}/webhooks?mode=test`, {
      mode: 'test',
      callback_url: 'https://service.example.gov.uk/pay-events',
      description: 'Finance system',
      subscriptions: ['card_payment_succeeded', 'card_payment_refunded'],
    });
    expect(ok.statusCode).toBe(303);
    const detail = await b.follow(ok);
    expect(detail.body).toContain('https://service.example.gov.uk/pay-events');
    expect(detail.body).toMatch(/<code id="signing-secret">webhook_test_[A-Za-z0-9_-]+<\/code>/);
    expect(detail.body).toContain('No messages sent yet.');
    const off = await b.post(new URL(String(ok.headers.location), 'http://x').pathname + '/status', { status: 'inactive' });
    expect((await b.follow(off)).body).toContain('Activate webhook');
  });

  it('creates a payment link whose public page takes a payment into the same ledger', async () => {
    const b = await signIn('pay.admin@example.org');
    const bad = await b.post(`/admin/pay/${f.service.slug}/links`, { title: '', slug: 'Bad Slug', reference_label: '', amount: 'lots' });
    expect(bad.statusCode).toBe(400);
    for (const field of ['title', 'slug', 'amount', 'reference_label']) expect(bad.body).toContain(`href="#${field}"`);
    const slug = `garden-waste-${Date.now().toString(36)}`;
    const created = await b.post(`/admin/pay/${f.service.slug}/links`, {
      title: 'Garden waste permit',
      slug,
      description: 'A year of garden waste collections',
      amount: '45.00',
      reference_label: 'Permit number',
      reference_hint: 'On your letter',
      language: 'en',
      mode: 'test',
    });
    expect(created.headers.location).toBe(`/admin/pay/${f.service.slug}/links?done=link-created`);
    expect((await b.follow(created)).body).toContain(`http://localhost:3000/pay/link/${slug}`);

    const payer = payBrowser(t);
    const start = await payer.get(`/pay/link/${slug}`);
    expect(start.statusCode).toBe(200);
    expect(start.body).toContain('Garden waste permit');
    expect(start.body).toContain('£45.00');
    expect((await payer.post(`/pay/link/${slug}`, { reference: '' })).body).toContain('Enter your permit number');
    const go = await payer.post(`/pay/link/${slug}`, { reference: 'GW-1234' });
    expect(go.headers.location).toMatch(/^\/pay\/secure\//);
    const card = await payer.follow(go);
    expect(card.body).toContain('Enter card details');
    const id = /action="\/pay\/card\/([0-9a-v]{26})"/.exec(card.body)![1];
    await payer.post(`/pay/card/${id}`, cardFields());
    const back = await payer.post(`/pay/card/${id}/confirm`, {});
    expect(back.headers.location).toMatch(new RegExp(`^http://localhost:3000/pay/link/${slug}/return/`));
    const done = await payer.get(String(back.headers.location));
    expect(done.body).toContain('Payment successful');
    expect(done.body).toContain('GW-1234');
    // In the service's ledger, like any other payment.
    const p = (await api.get(`/v1/payments/${id}`)).json();
    expect(p).toMatchObject({ amount: 4500, reference: 'GW-1234', description: 'Garden waste permit', state: { status: 'success' } });
    expect((await b.get(`/admin/pay/${f.service.slug}?mode=test&reference=GW-1234`)).body).toContain('GW-1234');

    // An amount the payer enters; a switched-off link is not found.
    const open = `donate-${Date.now().toString(36)}`;
    await b.post(`/admin/pay/${f.service.slug}/links`, {
      title: 'Pay an invoice',
      slug: open,
      amount: '',
      reference_label: 'Invoice number',
      language: 'cy',
      mode: 'test',
    });
    const entered = await payer.get(`/pay/link/${open}`);
    expect(entered.body).toContain('<html lang="cy"');
    expect((await payer.post(`/pay/link/${open}`, { reference: 'INV-9', amount: '12.3.4' })).body).toContain(
      'Rhowch swm mewn punnoedd a cheiniogau',
    );
    const ok = await payer.post(`/pay/link/${open}`, { reference: 'INV-9', amount: '£1,234.50' });
    expect(ok.statusCode).toBe(303);
    expect((await api.get('/v1/payments?reference=INV-9')).json().results[0].amount).toBe(123450);
    const toggled = await t.kernel.db.query<{ id: string }>('SELECT id FROM payments.links WHERE slug = $1', [open]);
    await b.post(`/admin/pay/${f.service.slug}/links/${toggled.rows[0].id}/status`, { status: 'inactive' });
    expect((await payer.get(`/pay/link/${open}`)).statusCode).toBe(404);
  });
});
