// The joined-up journey on a running server, as a browser without JavaScript: Blue Badge needs
// a proven identity (identity), asks once to check the PIP award with DWP (consent → exchange →
// registries) and does not ask that question again, shows where the answer came from, takes
// the fee on the hosted card page (payments) and comes back, then the confirmation goes
// through Notify and the team's deliveries run once each: a signed webhook retried after a
// failure, the pull API. Declining the check means answering yourself. Save and come back later.
import { createServer, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInCitizen, startApp, type Running } from '../identity/testing.js';
import { cardFields } from '../payments/testing.js';
import { DEMO_FORMS } from './demo.js';

let run: Running;
let hook: Server;
const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
let failNext = 1;
const slug = 'apply-for-a-blue-badge';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (failNext-- > 0) {
        res.statusCode = 503;
        return res.end();
      }
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(3201, '127.0.0.1', r));
  run = await startApp();
  await run.built.modules.consent.seedDemo!();
  const s = await run.built.modules.catalogue.service.getService(slug);
  await run.built.modules.forms.service.save(
    { id: s.id, slug },
    { ...DEMO_FORMS[slug], deliveries: [{ type: 'webhook', url: 'http://127.0.0.1:3201/hook' }, { type: 'api' }] },
    { by: 'test', live: true },
  );
}, 120_000);
afterAll(async () => {
  await run?.close();
  await new Promise((r) => hook?.close(r));
});

describe('Blue Badge, joined up', () => {
  it('signs in, checks the award with DWP once agreed, takes the fee, confirms and delivers once', async () => {
    const { browser: b } = await signedInCitizen(run, { prove: true });
    let page = await b.go(`/forms/${slug}`);
    expect(page.body).toContain('answers held by');
    page = await b.submit(`/forms/${slug}/start`);
    // The consent page of the consent module, then back to the form.
    expect(page.url).toContain('/your-data/permissions/ask');
    page = await b.submit('/your-data/permissions/ask', { choice: 'all' });
    // The PIP question is answered by DWP: the next page asked is the address (walking is skipped: enhanced rate).
    expect(page.url).toMatch(/\/forms\/apply-for-a-blue-badge\/address$/);
    page = await b.submit(`/forms/${slug}/address`, {
      'homeAddress-line1': '10 Civic Way',
      'homeAddress-town': 'Newtown',
      'homeAddress-postcode': 'NT1 1AA',
    });
    expect(page.url).toMatch(/\/photo$/);
    // A file upload, checked by content: a text file named .png is refused.
    const upload = async (name: string, type: string, data: Buffer) => {
      const html = page.body;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
      const fd = new FormData();
      fd.append('_csrf', csrf);
      fd.append('_v', '1');
      fd.append('_page', 'photo');
      fd.append('photo', new Blob([new Uint8Array(data)], { type }), name);
      const res = await fetch(`${run.baseUrl}/forms/${slug}/photo`, {
        method: 'POST',
        body: fd,
        redirect: 'manual',
        headers: { cookie: b.cookiesFor(`/forms/${slug}/photo`) },
      });
      return { status: res.status, location: res.headers.get('location'), body: await res.text() };
    };
    const bad = await upload('face.png', 'image/png', Buffer.from('not a picture at all'));
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('must be a PDF, JPG or PNG');
    const good = await upload('face.png', 'image/png', PNG);
    expect(good.status).toBe(303);
    page = await b.go(good.location!);
    expect(page.url).toMatch(/\/contact$/);
    page = await b.submit(`/forms/${slug}/contact`, { email: 'alex@example.org' });
    page = await b.submit(`/forms/${slug}/declaration`, { declaration: 'agreed' });
    expect(page.url).toMatch(/\/check$/);
    expect(page.body).toContain('Enhanced rate');
    expect(page.body).toMatch(/from Department for [^<]+ — tell us if this is wrong/);
    expect(page.body).toContain('£10');
    expect(page.body).not.toContain('Describe how your condition affects your walking');
    // Continue to payment: the hosted card page, then back to the form, which submits.
    page = await b.submit(`/forms/${slug}/check`);
    expect(page.url).toMatch(/\/pay\/card\//);
    page = await b.submit('/pay/card/', cardFields());
    page = await b.submit('/pay/card/', {}, page.body);
    expect(page.url).toMatch(/\/forms\/apply-for-a-blue-badge\/confirmation$/);
    const ref = /<strong>(BB-[A-Z0-9]{5}-[A-Z0-9]{5})<\/strong>/.exec(page.body)?.[1];
    expect(ref).toBeTruthy();
    expect(page.body).toContain('You have paid £10');

    const forms = run.built.modules.forms;
    const s = await run.built.modules.catalogue.service.getService(slug);
    const [sub] = await forms.service.submissions(s.id);
    expect(sub.reference).toBe(ref);
    expect(sub.fee).toBe(1000);
    expect(sub.payment_id).toBeTruthy();
    expect(sub.account_id).toBeTruthy();
    expect(sub.answers.find((a) => a.question === 'pipMobility')).toMatchObject({ value: 'enhanced', source: { kind: 'exchange' } });
    expect((await forms.service.filesOf(sub.id))[0]).toMatchObject({ name: 'face.png', type: 'image/png', size: PNG.length });

    // Deliveries: each job runs; the webhook fails once (retried by the queue), then is delivered once.
    const deliveries = await forms.service.deliveriesOf(sub.id);
    expect(deliveries.map((d) => d.kind).sort()).toEqual(['api', 'confirmation', 'webhook']);
    const webhook = deliveries.find((d) => d.kind === 'webhook')!;
    await expect(forms.deliveries.deliver(webhook.id)).rejects.toThrow(/503/);
    await forms.deliveries.deliver(webhook.id);
    await forms.deliveries.deliver(webhook.id); // a second run of the same job sends nothing
    expect(received).toHaveLength(1);
    const sig = String(received[0].headers['cityscape-signature']);
    const [, at, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(sig)!;
    expect(createHmac('sha256', forms.deliveries.webhookSecret(s.id)).update(`${at}.${received[0].body}`).digest('hex')).toBe(v1);
    expect(received[0].headers['idempotency-key']).toBe(webhook.id);
    expect(JSON.parse(received[0].body)).toMatchObject({ reference: ref, fee: 1000 });
    const conf = deliveries.find((d) => d.kind === 'confirmation')!;
    await forms.deliveries.deliver(conf.id);
    const sent = await run.built.kernel.db.query<{ reference: string }>(
      'SELECT reference FROM notify.notifications WHERE service_id = $1 AND reference = $2',
      [s.id, ref],
    );
    expect(sent.rows).toHaveLength(1);
    const after = await forms.service.deliveriesOf(sub.id);
    expect(after.find((d) => d.kind === 'webhook')).toMatchObject({ state: 'delivered', attempts: 2 });
    // The jobs themselves were queued with the submission.
    const jobs = await run.built.kernel.db.query<{ n: number }>("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'forms.deliver'");
    expect(jobs.rows[0].n).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('lets the citizen decline the check and answer themselves', async () => {
    const { browser: b } = await signedInCitizen(run, { prove: true });
    await b.go(`/forms/${slug}`);
    let page = await b.submit(`/forms/${slug}/start`);
    page = await b.submit('/your-data/permissions/ask', { choice: 'no' });
    expect(page.url).toMatch(/\/forms\/apply-for-a-blue-badge\/pip$/);
    page = await b.submit(`/forms/${slug}/pip`, { pipMobility: 'standard' });
    expect(page.url).toMatch(/\/walking$/);
  }, 60_000);

  it('saves for later: a link through Notify, used once', async () => {
    const { browser: b } = await signedInCitizen(run, { prove: true });
    await b.go(`/forms/${slug}`);
    await b.submit(`/forms/${slug}/start`);
    let page = await b.submit('/your-data/permissions/ask', { choice: 'no' });
    page = await b.go(`/forms/${slug}/save`);
    page = await b.submit(`/forms/${slug}/save`, { email: 'later@example.org' });
    expect(page.body).toContain('We have sent you a link');
    const s = await run.built.modules.catalogue.service.getService(slug);
    const n = await run.built.kernel.db.query<{ body: string }>(
      "SELECT body FROM notify.notifications WHERE service_id = $1 AND reference LIKE 'forms-resume-%'",
      [s.id],
    );
    const link = /(http:\/\/[^\s]+\/resume\/[A-Za-z0-9_-]+)/.exec(n.rows[0].body)![1];
    page = await b.go(link);
    expect(page.url).toMatch(/\/pip$/);
    page = await b.go(link);
    expect(page.status).toBe(404);
  }, 60_000);
});
