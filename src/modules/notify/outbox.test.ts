// The development outbox in the staff console: with no SMTP_URL, NOTIFY_SMS_URL or
// NOTIFY_LETTER_URL, what was "sent" is listed at /admin/notify/outbox with its words and the
// letter's PDF, per service — and a service team sees only its own services' messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { cli, pageText, twoTeams, until, type notifyFixture } from './testing.js';

const PASSWORD = 'a long enough password';
let built: TestApp;
let a: Awaited<ReturnType<typeof notifyFixture>>;
let b: Awaited<ReturnType<typeof notifyFixture>>;

/** A staff member's browser, signed in to the console; returns its GET. */
async function staff(email: string) {
  const b = formBrowser(built);
  await b.get('/admin/sign-in');
  const res = await b.post('/admin/sign-in', { email, password: PASSWORD });
  expect(res.statusCode, res.body).toBe(303);
  return (url: string) => b.get(url);
}
const text = pageText;

beforeAll(async () => {
  built = await buildTestApp();
  ({ a, b } = await twoTeams(built, PASSWORD));
  await built.modules.catalogue.service.createStaff(cli, { email: 'admin@example.gov.uk', password: PASSWORD, role: 'platform_admin' });
  const svc = built.modules.notify.service;
  await svc.sendEmail(a.service.id, {
    templateId: a.templates.email.id,
    to: 'citizen-a@example.com',
    personalisation: { name: 'Ada', reference: 'REF-A', extra: 'no' },
  });
  await svc.sendSms(a.service.id, { templateId: a.templates.sms.id, to: '07700900456', personalisation: { code: '381924' } });
  await svc.sendLetter(a.service.id, {
    templateId: a.templates.letter.id,
    personalisation: {
      name: 'Ada',
      permit: 'P-77',
      address_line_1: 'Ada Lovelace',
      address_line_2: '1 High Street',
      address_line_3: 'SW1A 1AA',
    },
  });
  await svc.sendEmail(b.service.id, {
    templateId: b.templates.email.id,
    to: 'citizen-b@example.com',
    personalisation: { name: 'Bob', reference: 'REF-B', extra: 'no' },
  });
  await svc.sendLetter(b.service.id, {
    templateId: b.templates.letter.id,
    personalisation: { name: 'Bob', permit: 'P-88', address_line_1: 'Bob Byte', address_line_2: '2 Low Road', address_line_3: 'SW1A 2AA' },
  });
  await built.startWorkers();
});
afterAll(async () => {
  await built?.close();
});

describe('Notify development outbox in the console', () => {
  it('lists what was kept instead of sent, with its words and the letter PDF, per service', async () => {
    const get = await staff('admin@example.gov.uk');
    const home = await get('/admin/notify');
    expect(home.body).toContain('href="/admin/notify/outbox"');
    const page = (await until(async () => {
      const res = await get('/admin/notify/outbox');
      return (res.body.match(/govuk-summary-card"/g) ?? []).length >= 5 ? res : undefined;
    }))!;
    expect(page.statusCode).toBe(200);
    const words = text(page.body);
    for (const shown of [
      'Not sent to anyone: email, text message, letter.',
      'kept in memory only',
      'Email: citizen-a@example.com',
      'Your application REF-A',
      'Hello Ada',
      'Your code is 381924',
      'Letter: Ada Lovelace, 1 High Street, SW1A 1AA',
      'Email: citizen-b@example.com',
    ])
      expect(words).toContain(shown);

    const pdfLink = /href="(\/admin\/notify\/[^"]+\/pdf)"/.exec(page.body)![1];
    const pdf = await get(pdfLink);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    // One service at a time.
    const onlyB = text((await get(`/admin/notify/outbox?service=${b.service.slug}`)).body);
    expect(onlyB).toContain('citizen-b@example.com');
    expect(onlyB).not.toContain('citizen-a@example.com');
  });

  it("shows a service team only its own services' messages and letters", async () => {
    const get = await staff('team-a@example.gov.uk');
    const page = text((await get('/admin/notify/outbox')).body);
    expect(page).toContain('citizen-a@example.com');
    expect(page).not.toContain('citizen-b@example.com');
    expect((await get(`/admin/notify/outbox?service=${b.service.slug}`)).statusCode).toBe(404);
    const letterOf = async (serviceId: string) =>
      (await built.modules.notify.service.outbox([serviceId], { limit: 10, offset: 0 })).find((n) => n.type === 'letter')!;
    expect((await get(`/admin/notify/${a.service.slug}/messages/${(await letterOf(a.service.id)).id}/pdf`)).statusCode).toBe(200);
    const bLetter = await letterOf(b.service.id);
    expect((await get(`/admin/notify/${b.service.slug}/messages/${bLetter.id}/pdf`)).statusCode).toBe(404);
    expect((await get(`/admin/notify/${a.service.slug}/messages/${bLetter.id}/pdf`)).statusCode).toBe(404);
  });
});
