// The Notify API end to end with the official notifications-node-client against a real
// listening server, on PGlite or PostgreSQL: every client method, responses checked against the
// shared Notify schemas, Notify's error bodies, key types, and one service never seeing another's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { PDFDocument } from 'pdf-lib';
import { NotifyClient } from 'notifications-node-client';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { testConfig } from '../../config.js';
import { A4, ADDRESS_BLOCK, MM } from './content/letter.js';
import { cli, notifyFixture, notifySchemas, smtpSink, until } from './testing.js';

type Fixture = Awaited<ReturnType<typeof notifyFixture>>;

let t: TestApp;
let sink: Awaited<ReturnType<typeof smtpSink>>;
let base: string;
let a: Fixture;
let b: Fixture;
const validate = notifySchemas();
const expectValid = (schema: string, body: unknown) => expect(validate(schema, body), `${schema}: ${JSON.stringify(body)}`).toBeNull();

/** The client's error body, or fails when the call succeeded. */
async function notifyError(
  p: Promise<unknown>,
): Promise<{ status: number; body: { status_code: number; errors: Array<{ error: string; message: string }> } }> {
  try {
    await p;
  } catch (err: any) {
    return { status: err.response.status, body: err.response.data };
  }
  throw new Error('expected the call to fail');
}

function jwt(secretKey: string, claims: Record<string, unknown>, alg = 'HS256'): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ typ: 'JWT', alg });
  const body = enc(claims);
  const hash = alg === 'HS512' ? 'sha512' : 'sha256';
  return `${head}.${body}.${createHmac(hash, secretKey).update(`${head}.${body}`).digest('base64url')}`;
}
const parts = (key: string) => ({ serviceId: key.slice(-73, -37), secret: key.slice(-36) });
const raw = (path: string, auth?: string) =>
  axios.get(`${base}${path}`, { headers: auth === undefined ? {} : { authorization: auth }, validateStatus: () => true });

beforeAll(async () => {
  sink = await smtpSink();
  t = await buildTestApp({
    smtpUrl: sink.url,
    notify: {
      ...testConfig().notify,
      leaseSeconds: 5,
      recoverAfterSeconds: 5,
      retryBaseSeconds: 1,
      providerToken: 'provider-token-for-tests',
    },
  });
  await t.startWorkers();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/notify`;
  a = await notifyFixture(t, { name: 'Parking permits' });
  b = await notifyFixture(t, { name: 'Bin collections' });
});
afterAll(async () => {
  await t?.close();
  await sink?.close();
});

const client = (key: string) => new NotifyClient(base, key);
const statusOf = async (key: string, id: string) => (await client(key).getNotificationById(id)).data.status;

describe('sending with the official client', () => {
  it('sends an email over SMTP, with HTML and plain text parts, and reports it delivered', async () => {
    const res = await client(a.keys.live).sendEmail(a.templates.email.id, 'ada@example.com', {
      personalisation: { name: 'Ada <Lovelace>', reference: 'AB-1', extra: 'yes' },
      reference: 'my-ref-1',
    });
    expect(res.status).toBe(201);
    expectValid('POST_notification_email_response.json', res.data);
    expect(res.data.content.subject).toBe('Your application AB-1');
    expect(res.data.content.body).toContain('# Hello Ada <Lovelace>');
    expect(res.data.content.body).toContain('Extra text is shown.');
    expect(res.data.content.from_email).toBe(`${a.service.slug}@localhost`);
    expect(res.data.template).toMatchObject({ id: a.templates.email.id, version: 1 });
    expect(res.data.uri).toContain(`/notify/v2/notifications/${res.data.id}`);

    expect(await until(async () => (await statusOf(a.keys.live, res.data.id)) === 'delivered')).toBe(true);
    const mail = sink.received.find((m) => m.raw.includes(res.data.id))!;
    expect(mail.to).toEqual(['ada@example.com']);
    expect(mail.raw).toMatch(/^Subject: Your application AB-1\r?$/m);
    expect(mail.raw).toMatch(/^From: Parking permits <svc-[a-z0-9]+@localhost>\r?$/m);
    expect(mail.raw).toMatch(new RegExp(`^Message-ID: <${res.data.id}@localhost>`, 'm'));
    expect(mail.raw).toContain('Content-Type: multipart/alternative');
    expect(mail.raw).toContain('Content-Type: text/plain; charset=utf-8');
    expect(mail.raw).toContain('Content-Type: text/html; charset=utf-8');
    const decoded = decodeMime(mail.raw);
    expect(decoded).toContain('Hello Ada &lt;Lovelace&gt;</h2>');
    expect(decoded).toMatch(/<li[^>]*>first<\/li>/);
    expect(decoded).toMatch(/<blockquote[^>]*>.*Keep this email\./s);
    expect(decoded).toContain('href="https://example.gov.uk/track"');
    expect(decoded).toContain('• first');
    expect(decoded).toContain('Hello Ada <Lovelace>\n---');

    const got = await client(a.keys.live).getNotificationById(res.data.id);
    expectValid('GET_notification_response.json', got.data);
    expect(got.data).toMatchObject({
      id: res.data.id,
      type: 'email',
      email_address: 'ada@example.com',
      reference: 'my-ref-1',
      status: 'delivered',
      subject: 'Your application AB-1',
    });
    expect(got.data.sent_at).not.toBeNull();
    expect(got.data.completed_at).not.toBeNull();
  });

  it('sends text messages: a test key gets realistic statuses and never sends; a live key uses the provider', async () => {
    const sent = await client(a.keys.test).sendSms(a.templates.sms.id, '07700 900123', {
      personalisation: { code: '123456' },
      reference: 'sms-ref',
    });
    expect(sent.status).toBe(201);
    expectValid('POST_notification_sms_response.json', sent.data);
    expect(sent.data.content).toEqual({ body: 'Your code is 123456', from_number: 'Cityscape' });
    expect(await until(async () => (await statusOf(a.keys.test, sent.data.id)) === 'delivered')).toBe(true);
    const failing = await client(a.keys.test).sendSms(a.templates.sms.id, '07700900002', { personalisation: { code: '1' } });
    expect(await until(async () => (await statusOf(a.keys.test, failing.data.id)) === 'permanent-failure')).toBe(true);

    const live = await client(a.keys.live).sendSms(a.templates.sms.id, '+44 7700 900456', { personalisation: { code: '999' } });
    expect(await until(async () => (await statusOf(a.keys.live, live.data.id)) === 'delivered')).toBe(true);
    const kept = t.modules.notify.providers.outbox.entries().find((e) => e.id === live.data.id);
    expect(kept).toMatchObject({ channel: 'sms', to: '+447700900456' });
    expect(t.modules.notify.providers.outbox.entries().some((e) => e.id === sent.data.id)).toBe(false);
    const got = await client(a.keys.live).getNotificationById(live.data.id);
    expectValid('GET_notification_response.json', got.data);
    expect(got.data).toMatchObject({
      phone_number: '+44 7700 900456',
      type: 'sms',
      body: 'Your code is 999',
      cost_details: { billable_sms_fragments: 1 },
    });
  });

  it('sends a letter and returns its A4 PDF with the address in the envelope window', async () => {
    const res = await client(a.keys.live).sendLetter(a.templates.letter.id, {
      personalisation: {
        address_line_1: 'Ms A Lovelace',
        address_line_2: '1 Analytical Row',
        address_line_3: 'london',
        address_line_4: 'sw1a1aa',
        name: 'Ada',
        permit: 'P-42',
      },
      reference: 'letter-ref',
    });
    expect(res.status).toBe(201);
    expectValid('POST_notification_letter_response.json', res.data);
    expect(res.data.content).toEqual({ subject: 'Your permit P-42', body: 'Dear Ada,\n\nYour permit is attached.\n\n* Keep it safe' });
    const got = await client(a.keys.live).getNotificationById(res.data.id);
    expectValid('GET_notification_response.json', got.data);
    expect(got.data).toMatchObject({
      type: 'letter',
      line_1: 'Ms A Lovelace',
      line_2: '1 Analytical Row',
      line_3: 'london',
      postcode: 'SW1A 1AA',
      postage: 'second',
    });
    expect(['accepted', 'received']).toContain(got.data.status);
    expect(await until(async () => (await statusOf(a.keys.live, res.data.id)) === 'received')).toBe(true);

    const pdf = await client(a.keys.live).getPdfForLetterNotification(res.data.id);
    expect(Buffer.isBuffer(pdf)).toBe(true);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const doc = await PDFDocument.load(pdf);
    const { width, height } = doc.getPage(0).getSize();
    expect(Math.round(width)).toBe(Math.round(A4.width));
    expect(Math.round(height)).toBe(Math.round(A4.height));
    const text = pdfText(pdf);
    // The first address line is drawn at the envelope window's left edge, just below its top edge.
    const hex = Buffer.from('Ms A Lovelace').toString('hex').toUpperCase();
    const m = new RegExp(`1 0 0 1 ([\\d.]+) ([\\d.]+) Tm\\s*<${hex}> Tj`).exec(text);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeCloseTo(ADDRESS_BLOCK.left * MM, 1);
    const fromTop = (A4.height - Number(m![2])) / MM;
    expect(fromTop).toBeGreaterThan(ADDRESS_BLOCK.top);
    expect(fromTop).toBeLessThan(ADDRESS_BLOCK.top + ADDRESS_BLOCK.height);

    const notLetter = await notifyError(
      client(a.keys.live).getPdfForLetterNotification(
        (await client(a.keys.test).sendSms(a.templates.sms.id, '07700900123', { personalisation: { code: '1' } })).data.id,
      ),
    );
    expect(notLetter.body.errors[0]).toEqual({ error: 'ValidationError', message: 'Notification is not a letter' });
  });

  it('sends a precompiled PDF letter', async () => {
    const doc = await PDFDocument.create();
    doc.addPage([A4.width, A4.height]).drawText('A letter made elsewhere', { x: 72, y: 600 });
    const bytes = Buffer.from(await doc.save());
    const res = await client(a.keys.live).sendPrecompiledLetter('precompiled-ref', bytes, 'first');
    expect(res.status).toBe(201);
    expectValid('POST_notification_precompiled_letter_response.json', res.data);
    expect(res.data).toMatchObject({ reference: 'precompiled-ref', postage: 'first' });
    const back = await client(a.keys.live).getPdfForLetterNotification(res.data.id);
    expect(Buffer.compare(back, bytes)).toBe(0);
    const got = await client(a.keys.live).getNotificationById(res.data.id);
    expectValid('GET_notification_response.json', got.data);
    expect(got.data).toMatchObject({ type: 'letter', line_1: 'precompiled-ref', postage: 'first' });

    const bad = await notifyError(client(a.keys.live).sendPrecompiledLetter('bad', Buffer.from('not a pdf at all')));
    expect(bad.body).toEqual({ status_code: 400, errors: [{ error: 'BadRequestError', message: 'Letter content is not a valid PDF' }] });
    const postage = await notifyError(client(a.keys.live).sendPrecompiledLetter('bad', bytes, 'fourth' as any));
    expect(postage.body.errors[0]).toEqual({
      error: 'ValidationError',
      message: 'postage invalid. It must be either first, second or economy.',
    });
  });

  it('sends a file by link that asks for the recipient’s email address before download', async () => {
    const tpl = await t.modules.notify.service.createTemplate(
      a.service.id,
      { type: 'email', name: 'File', subject: 'Your file', body: 'Download it: ((link))' },
      'tester@example.gov.uk',
    );
    const c = client(a.keys.live);
    const res = await c.sendEmail(tpl.id, 'grace@example.com', {
      personalisation: {
        link: c.prepareUpload(Buffer.from('col1,col2\n1,2\n'), { filename: 'report.csv', confirmEmailBeforeDownload: true }),
      },
    });
    const link = /(http\S+\/notify\/d\/\S+)/.exec(res.data.content.body)![1];
    const path = link.replace(/^https?:\/\/[^/]+/, '');
    const page = await t.app.inject({ url: path, headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Confirm your email address');
    const welsh = await t.app.inject({ url: path, headers: { accept: 'text/html', cookie: 'lang=cy' } });
    expect(welsh.body).toContain('Cadarnhewch eich cyfeiriad e-bost');
    expect(welsh.body).toContain('I lawrlwytho report.csv, rhowch y cyfeiriad e-bost yr anfonwyd y ffeil ato.');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    const cookie = ([] as string[])
      .concat(page.headers['set-cookie'] as any)
      .map((c) => c.split(';')[0])
      .join('; ');
    const post = (email: string) =>
      t.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, accept: 'text/html' },
        payload: new URLSearchParams({ _csrf: csrf, email }).toString(),
      });
    const wrong = await post('someone@example.com');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('This is not the email address the file was sent to');
    const right = await post('Grace@Example.com');
    expect(right.statusCode).toBe(200);
    expect(right.headers['content-type']).toContain('text/csv');
    expect(right.headers['content-disposition']).toContain('report.csv');
    expect(right.body).toBe('col1,col2\n1,2\n');
    expect((await t.app.inject({ url: path.replace(/key=[^&]+/, 'key=wrong'), headers: { accept: 'text/html' } })).statusCode).toBe(404);
  });
});

describe('reading with the official client', () => {
  it('lists notifications with filters and paging links', async () => {
    const c = client(b.keys.live);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (
          await c.sendSms(b.templates.sms.id, '07700900123', {
            personalisation: { code: String(i) },
            reference: i === 1 ? 'special' : 'batch',
          })
        ).data.id,
      );
    await c.sendEmail(b.templates.email.id, 'x@example.com', { personalisation: { name: 'X', reference: 'R', extra: 'no' } });
    const all = await c.getNotifications();
    expectValid('GET_notifications_response.json', all.data);
    expect(all.data.notifications.length).toBe(4);
    expect(all.data.links.current).toContain('/notify/v2/notifications');
    const sms = await c.getNotifications('sms');
    expect(sms.data.notifications.map((n: any) => n.id)).toEqual([...ids].reverse());
    expect((await c.getNotifications(undefined, undefined, 'special')).data.notifications.map((n: any) => n.id)).toEqual([ids[1]]);
    const older = await c.getNotifications('sms', undefined, undefined, ids[2]);
    expect(older.data.notifications.map((n: any) => n.id)).toEqual([ids[1], ids[0]]);
    expect(older.data.links.next).toContain(`older_than=${ids[0]}`);
    expect(older.data.links.next).toContain('template_type=sms');
    // Test-key messages are listed only for test keys, as in Notify.
    expect((await client(b.keys.test).getNotifications()).data.notifications).toEqual([]);
    await until(async () => (await c.getNotifications('sms', 'delivered')).data.notifications.length === 3);
    const bad = await notifyError(c.getNotifications(undefined, 'elephant'));
    expect(bad.body.errors[0].message).toBe(
      'status elephant is not one of [cancelled, created, sending, sent, delivered, pending, failed, technical-failure, temporary-failure, permanent-failure, pending-virus-check, validation-failed, virus-scan-failed, returned-letter, accepted, received]',
    );
    const badType = await notifyError(c.getNotifications('pigeon'));
    expect(badType.body.errors[0]).toEqual({
      error: 'ValidationError',
      message: 'template_type pigeon is not one of [sms, email, letter]',
    });
  });

  it('gets templates, versions and previews', async () => {
    const c = client(a.keys.live);
    const tpl = await t.modules.notify.service.createTemplate(
      a.service.id,
      { type: 'email', name: 'Versioned', subject: 'Hi ((name))', body: 'Version one for ((name))' },
      'author@example.gov.uk',
    );
    await t.modules.notify.service.updateTemplate(
      a.service.id,
      tpl.id,
      { name: 'Versioned', subject: 'Hello ((name))', body: 'Version two for ((name))' },
      'editor@example.gov.uk',
    );
    const latest = await c.getTemplateById(tpl.id);
    expectValid('GET_template_by_id.json', latest.data);
    expect(latest.data).toMatchObject({
      id: tpl.id,
      name: 'Versioned',
      type: 'email',
      version: 2,
      body: 'Version two for ((name))',
      subject: 'Hello ((name))',
      created_by: 'editor@example.gov.uk',
      letter_contact_block: null,
    });
    expect(latest.data.updated_at).not.toBeNull();
    const v1 = await c.getTemplateByIdAndVersion(tpl.id, 1);
    expectValid('GET_template_by_id.json', v1.data);
    expect(v1.data).toMatchObject({ version: 1, body: 'Version one for ((name))', created_by: 'author@example.gov.uk', updated_at: null });
    expect((await notifyError(c.getTemplateByIdAndVersion(tpl.id, 9))).body).toEqual({
      status_code: 404,
      errors: [{ error: 'NoResultFound', message: 'No result found' }],
    });

    const all = await c.getAllTemplates();
    expectValid('GET_templates_response.json', all.data);
    for (const x of all.data.templates) expectValid('GET_template_by_id.json', x);
    expect(all.data.templates.map((x: any) => x.type).sort()).toEqual(['email', 'email', 'email', 'letter', 'sms']);
    expect((await c.getAllTemplates('sms')).data.templates.map((x: any) => x.id)).toEqual([a.templates.sms.id]);

    const preview = await c.previewTemplateById(tpl.id, { name: 'Ada' });
    expectValid('POST_template_preview.json', preview.data);
    expect(preview.data).toMatchObject({ id: tpl.id, type: 'email', version: 2, body: 'Version two for Ada', subject: 'Hello Ada' });
    expect(preview.data.html).toContain('Version two for Ada');
    const missing = await notifyError(c.previewTemplateById(tpl.id, {}));
    expect(missing.body).toEqual({ status_code: 400, errors: [{ error: 'BadRequestError', message: 'Missing personalisation: name' }] });
    const letter = await c.previewTemplateById(a.templates.letter.id, {
      name: 'Ada',
      permit: 'P1',
      address_line_1: 'A',
      address_line_2: 'B',
      address_line_3: 'SW1A 1AA',
    });
    expectValid('POST_template_preview.json', letter.data);
    expect(letter.data).toMatchObject({ type: 'letter', subject: 'Your permit P1', postage: 'second' });
  });

  it('gets received text messages, page by page', async () => {
    const svc = t.modules.notify.service;
    const settings = (await svc.settings(a.service.id)).settings;
    await svc.saveSettings(a.service.id, { ...settings, inbound_number: '07700900999' });
    for (const text of ['first reply', 'second reply']) {
      const r = await axios.post(
        `${base}/provider/inbound-sms`,
        { to: '07700900999', from: '07700 900111', body: text },
        { headers: { authorization: 'Bearer provider-token-for-tests' } },
      );
      expect(r.status).toBe(201);
    }
    expect(
      (await axios.post(`${base}/provider/inbound-sms`, { to: '07700900999', from: '1', body: 'x' }, { validateStatus: () => true }))
        .status,
    ).toBe(401);
    const c = client(a.keys.live);
    const page = await c.getReceivedTexts();
    expectValid('GET_received_texts_response.json', page.data);
    for (const m of page.data.received_text_messages) expectValid('GET_received_text_response.json', m);
    expect(page.data.received_text_messages.map((m: any) => m.content)).toEqual(['second reply', 'first reply']);
    expect(page.data.received_text_messages[0]).toMatchObject({
      user_number: '447700900111',
      notify_number: '07700900999',
      service_id: a.service.id,
    });
    const older = await c.getReceivedTexts(page.data.received_text_messages[0].id);
    expect(older.data.received_text_messages.map((m: any) => m.content)).toEqual(['first reply']);
    expect((await client(b.keys.live).getReceivedTexts()).data.received_text_messages).toEqual([]);
  });

  it('works with setClient and setProxy', async () => {
    const c = client(a.keys.live);
    c.setClient(axios.create({ timeout: 10_000 }) as any);
    c.setProxy(false as any);
    expect((await c.getTemplateById(a.templates.sms.id)).data.id).toBe(a.templates.sms.id);
  });
});

describe('errors as Notify gives them', () => {
  it('answers bad sends with Notify’s messages', async () => {
    const c = client(a.keys.live);
    expect((await notifyError(c.sendEmail(a.templates.email.id, 'ada@example.com', { personalisation: { name: 'A' } }))).body).toEqual({
      status_code: 400,
      errors: [{ error: 'BadRequestError', message: 'Missing personalisation: reference, extra' }],
    });
    expect((await notifyError(c.sendEmail('11111111-1111-1111-1111-111111111111', 'ada@example.com'))).body.errors[0]).toEqual({
      error: 'BadRequestError',
      message: 'Template not found',
    });
    expect((await notifyError(c.sendEmail(a.templates.sms.id, 'ada@example.com'))).body.errors[0].message).toBe(
      'sms template is not suitable for email notification',
    );
    expect((await notifyError(c.sendEmail(a.templates.email.id, 'not-an-email'))).body.errors[0]).toEqual({
      error: 'ValidationError',
      message: 'email_address Not a valid email address',
    });
    expect((await notifyError(c.sendEmail('nope', 'ada@example.com'))).body.errors[0]).toEqual({
      error: 'ValidationError',
      message: 'template_id is not a valid UUID',
    });
    expect((await notifyError(c.sendSms(a.templates.sms.id, '0770090012', { personalisation: { code: '1' } }))).body.errors[0]).toEqual({
      error: 'ValidationError',
      message: 'phone_number Not enough digits',
    });
    expect(
      (await notifyError(c.sendSms(a.templates.sms.id, '+33 6 12 34 56 78', { personalisation: { code: '1' } }))).body.errors[0],
    ).toEqual({ error: 'BadRequestError', message: 'Cannot send to international mobile numbers' });
    const longCode = 'x'.repeat(1000);
    expect(
      (await notifyError(c.sendSms(a.templates.sms.id, '07700900123', { personalisation: { code: longCode } }))).body.errors[0].message,
    ).toBe('Your message is too long. Text messages cannot be longer than 918 characters. Your message is 1013 characters long.');
    expect(
      (
        await notifyError(
          c.sendLetter(a.templates.letter.id, {
            personalisation: { address_line_1: 'A', address_line_2: 'SW1A 1AA', name: 'x', permit: 'y' },
          }),
        )
      ).body.errors[0],
    ).toEqual({ error: 'ValidationError', message: 'Address must be at least 3 lines' });
    expect(
      (
        await notifyError(
          c.sendLetter(a.templates.letter.id, {
            personalisation: { address_line_1: 'A', address_line_2: 'B', address_line_3: 'Nowhere', name: 'x', permit: 'y' },
          }),
        )
      ).body.errors[0],
    ).toEqual({ error: 'ValidationError', message: 'Must be a real UK postcode' });
    expect((await notifyError(c.sendLetter(a.templates.letter.id, { personalisation: { name: 'x' } }))).body.errors[0]).toEqual({
      error: 'ValidationError',
      message: 'personalisation address_line_1 is a required property',
    });
    const extra = await axios.post(
      `${base}/v2/notifications/sms`,
      { template_id: a.templates.sms.id, phone_number: '07700900123', colour: 'red' },
      {
        headers: { authorization: `Bearer ${jwt(parts(a.keys.live).secret, { iss: a.service.id, iat: Math.floor(Date.now() / 1000) })}` },
        validateStatus: () => true,
      },
    );
    expect(extra.data).toEqual({
      status_code: 400,
      errors: [{ error: 'ValidationError', message: 'Additional properties are not allowed (colour was unexpected)' }],
    });
  });

  it('lets team keys reach only the team and guest list, and refuses them letters', async () => {
    const c = client(a.keys.team);
    const refused = await notifyError(
      c.sendEmail(a.templates.email.id, 'stranger@example.com', { personalisation: { name: 'x', reference: 'y', extra: 'no' } }),
    );
    expect(refused.body).toEqual({
      status_code: 400,
      errors: [{ error: 'BadRequestError', message: 'Can’t send to this recipient using a team-only API key' }],
    });
    await t.modules.notify.service.addAllowed(a.service.id, { kind: 'guest', name: 'Guest', email: 'Guest@Example.com', phone: null });
    await t.modules.notify.service.addAllowed(a.service.id, { kind: 'member', name: 'Member', email: null, phone: '07700 900321' });
    await t.modules.catalogue.service.createStaff(cli, {
      email: 'staffer@example.gov.uk',
      role: 'service_team',
      organisationSlug: a.org.slug,
    });
    expect(
      (await c.sendEmail(a.templates.email.id, 'guest@example.com', { personalisation: { name: 'x', reference: 'y', extra: 'no' } }))
        .status,
    ).toBe(201);
    expect(
      (await c.sendEmail(a.templates.email.id, 'staffer@example.gov.uk', { personalisation: { name: 'x', reference: 'y', extra: 'no' } }))
        .status,
    ).toBe(201);
    expect((await c.sendSms(a.templates.sms.id, '+447700900321', { personalisation: { code: '1' } })).status).toBe(201);
    expect(
      (
        await notifyError(
          c.sendLetter(a.templates.letter.id, {
            personalisation: { address_line_1: 'A', address_line_2: 'B', address_line_3: 'SW1A 1AA', name: 'x', permit: 'y' },
          }),
        )
      ).body.errors[0],
    ).toEqual({ error: 'BadRequestError', message: 'Cannot send letters with a team api key' });
  });

  it('rejects tokens exactly as Notify does', async () => {
    const { serviceId, secret } = parts(a.keys.live);
    const now = Math.floor(Date.now() / 1000);
    const expectAuth = async (auth: string | undefined, status: number, message: string) => {
      const r = await raw(`/v2/templates`, auth);
      expect(r.status, message).toBe(status);
      expect(r.data).toEqual({ status_code: status, errors: [{ error: 'AuthError', message }] });
    };
    await expectAuth(undefined, 401, 'Unauthorized: authentication token must be provided');
    await expectAuth(`Basic ${Buffer.from('a:b').toString('base64')}`, 401, 'Unauthorized: authentication bearer scheme must be used');
    await expectAuth(
      'Bearer not-a-token',
      403,
      'Invalid token: make sure your API token matches the example at https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header',
    );
    await expectAuth(`Bearer ${jwt(secret, { iat: now })}`, 403, 'Invalid token: iss field not provided');
    await expectAuth(`Bearer ${jwt(secret, { iss: 'not-a-uuid', iat: now })}`, 403, 'Invalid token: service id is not the right data type');
    await expectAuth(
      `Bearer ${jwt(secret, { iss: '11111111-2222-3333-4444-555555555555', iat: now })}`,
      403,
      'Invalid token: service not found',
    );
    await expectAuth(`Bearer ${jwt(secret, { iss: serviceId, iat: now }, 'HS512')}`, 403, 'Invalid token: algorithm used is not HS256');
    await expectAuth(
      `Bearer ${jwt(secret, { iss: serviceId, iat: now - 60 })}`,
      403,
      'Error: Your system clock must be accurate to within 30 seconds',
    );
    await expectAuth(
      `Bearer ${jwt(secret, { iss: serviceId, iat: now + 60 })}`,
      403,
      'Error: Your system clock must be accurate to within 30 seconds',
    );
    await expectAuth(`Bearer ${jwt('a-different-secret', { iss: serviceId, iat: now })}`, 403, 'Invalid token: API key not found');
    expect((await raw('/v2/templates', `bearer ${jwt(secret, { iss: serviceId, iat: now })}`)).status).toBe(200);

    const fx = await notifyFixture(t);
    const keys = await t.modules.catalogue.service.listApiKeys(fx.service.id);
    await t.modules.catalogue.service.revokeApiKey(cli, keys.find((k) => k.type === 'live')!.id);
    const revoked = await notifyError(client(fx.keys.live).getAllTemplates());
    expect(revoked).toEqual({
      status: 403,
      body: { status_code: 403, errors: [{ error: 'AuthError', message: 'Invalid token: API key revoked' }] },
    });
    expect((await client(fx.keys.test).getAllTemplates()).status).toBe(200);
  });

  it('limits requests per minute and messages per day with Notify’s 429s', async () => {
    const fx = await notifyFixture(t);
    const svc = t.modules.notify.service;
    await svc.saveSettings(fx.service.id, { ...(await svc.settings(fx.service.id)).settings, rate_limit: 3, sms_limit: 2 });
    const c = client(fx.keys.live);
    const send = () => c.sendSms(fx.templates.sms.id, '07700900123', { personalisation: { code: '1' } });
    await send();
    await send();
    expect((await notifyError(send())).body).toEqual({
      status_code: 429,
      errors: [{ error: 'TooManyRequestsError', message: 'Exceeded send limits (sms: 2) for today' }],
    });
    expect((await notifyError(send())).body).toEqual({
      status_code: 429,
      errors: [{ error: 'RateLimitError', message: 'Exceeded rate limit for key type LIVE of 3 requests per 60 seconds' }],
    });
    // Test keys are not counted against the daily limit, and have their own rate limit bucket.
    expect((await client(fx.keys.test).sendSms(fx.templates.sms.id, '07700900123', { personalisation: { code: '1' } })).status).toBe(201);
  });
});

describe('tenant isolation', () => {
  it('never shows one service’s notifications or templates to another’s key', async () => {
    const mine = await client(a.keys.live).sendSms(a.templates.sms.id, '07700900123', {
      personalisation: { code: 'secret' },
      reference: 'isolation',
    });
    const theirs = client(b.keys.live);
    expect((await notifyError(theirs.getNotificationById(mine.data.id))).body).toEqual({
      status_code: 404,
      errors: [{ error: 'NoResultFound', message: 'No result found' }],
    });
    expect((await theirs.getNotifications(undefined, undefined, 'isolation')).data.notifications).toEqual([]);
    expect((await theirs.getNotifications(undefined, undefined, undefined, mine.data.id)).data.notifications).toEqual([]);
    expect((await notifyError(theirs.getTemplateById(a.templates.sms.id))).status).toBe(404);
    expect((await notifyError(theirs.getTemplateByIdAndVersion(a.templates.sms.id, 1))).status).toBe(404);
    expect((await notifyError(theirs.previewTemplateById(a.templates.sms.id, { code: '1' }))).status).toBe(404);
    expect((await notifyError(theirs.getPdfForLetterNotification(mine.data.id))).status).toBe(404);
    expect(
      (await notifyError(theirs.sendSms(a.templates.sms.id, '07700900123', { personalisation: { code: '1' } }))).body.errors[0].message,
    ).toBe('Template not found');
    expect((await theirs.getAllTemplates()).data.templates.map((x: any) => x.id)).not.toContain(a.templates.sms.id);
    // A key for one service cannot be used to claim another: the signature is checked against the claimed service's keys.
    const forged = jwt(parts(b.keys.live).secret, { iss: a.service.id, iat: Math.floor(Date.now() / 1000) });
    expect((await raw(`/v2/notifications/${mine.data.id}`, `Bearer ${forged}`)).data.errors[0].message).toBe(
      'Invalid token: API key not found',
    );
  });
});

/** The PDF's page content streams, inflated. */
function pdfText(pdf: Buffer): string {
  let out = '';
  const s = pdf.toString('latin1');
  for (const m of s.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    try {
      out += inflateSync(Buffer.from(m[1], 'latin1')).toString('latin1');
    } catch {
      out += m[1];
    }
  }
  return out;
}

/** Undo quoted-printable and base64 bodies so assertions can read the message text. */
function decodeMime(raw: string): string {
  let out = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  out = Buffer.from(out, 'latin1').toString('utf8');
  for (const m of raw.matchAll(/Content-Transfer-Encoding: base64\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/g))
    out += Buffer.from(m[1].replace(/\s/g, ''), 'base64').toString('utf8');
  return out.replace(/\r\n/g, '\n');
}
