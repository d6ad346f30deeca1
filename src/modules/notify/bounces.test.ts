// Bounces end to end over real SMTP, on PGlite or PostgreSQL: an email sent through the API
// leaves with its own signed envelope sender; a delivery status notification mailed to that
// address (by nodemailer, a real SMTP client) to Cityscape's bounce listener moves the
// notification to permanent-failure or temporary-failure, shown by the API and sent to the
// service's callback. Delays, complaints and repeats change nothing; forged addresses are
// refused at RCPT; a bounce racing the delivery attempt is deferred; a taken port is survivable.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { NotifyClient } from 'notifications-node-client';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { testConfig } from '../../config.js';
import { bounceAddress } from './bounces.js';
import { notifyFixture, smtpSink, until } from './testing.js';

const DOMAIN = 'bounces.cityscape.test';
let t: TestApp;
let sink: Awaited<ReturnType<typeof smtpSink>>;
let receiver: http.Server;
const receipts: Array<{ id: string; status: string }> = [];
let slowDelivered = false;
let fx: Awaited<ReturnType<typeof notifyFixture>>;
let client: NotifyClient;

beforeAll(async () => {
  sink = await smtpSink({ answer: (to) => (to.startsWith('rejected') ? 550 : to.startsWith('slow') ? 'stall' : 'ok') });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const receipt = JSON.parse(body);
      // Recorded when answered; a `delivered` receipt can be made slow to answer (see the ordering test).
      const wait = slowDelivered && receipt.status === 'delivered' ? 300 : 0;
      setTimeout(() => {
        receipts.push(receipt);
        res.writeHead(200).end();
      }, wait);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  // A 20 s lease gives a stalled hand-over an 8 s socket timeout: time to bounce into the race.
  t = await buildTestApp({
    smtpUrl: sink.url,
    notify: { ...testConfig().notify, leaseSeconds: 20, bounceDomain: DOMAIN, bounceSmtpPort: 0, bounceSmtpHost: '127.0.0.1' },
  });
  await t.startWorkers();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  fx = await notifyFixture(t, { name: 'Parking permits' });
  await t.modules.notify.service.callbacks.save(
    fx.service.id,
    'delivery_status',
    `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/receipts`,
    'callback-token-1234567890',
  );
  client = new NotifyClient(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/notify`, fx.keys.live);
});
afterAll(async () => {
  await t?.close();
  await sink?.close();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

const statusOf = async (id: string) => (await client.getNotificationById(id)).data.status as string;
const row = (id: string) => t.modules.notify.service.notification(fx.service.id, id);
const reports = async (id: string) =>
  (
    await t.kernel.db.query<{ kind: string; action: string; dsn_status: string; new_status: string | null }>(
      'SELECT kind, action, dsn_status, new_status FROM notify.email_reports WHERE notification_id = $1 ORDER BY received_at',
      [id],
    )
  ).rows;

/** Sends an email through the API and waits for the relay's answer; returns its id and envelope sender. */
async function sendEmail(to: string, final = 'delivered'): Promise<{ id: string; returnPath: string }> {
  const res = await client.sendEmail(fx.templates.email.id, to, { personalisation: { name: 'Ada', reference: 'R-1', extra: 'no' } });
  const id = res.data.id as string;
  if (final) await until(async () => (await statusOf(id)) === final);
  return { id, returnPath: bounceAddress(t.kernel.config, id) };
}

/** Mails a message to Cityscape's bounce listener from the null sender, as a mail server returns a bounce. */
async function mailBounce(to: string, raw: string) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: t.modules.notify.bounces.port()!,
    secure: false,
    ignoreTLS: true,
  });
  try {
    return await transport.sendMail({ envelope: { from: false, to }, raw } as any);
  } finally {
    transport.close();
  }
}
async function refusal(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err: any) {
    return Number(err.responseCode);
  }
  throw new Error('expected the message to be refused');
}

/** An RFC 3464 report, as Postfix writes it. */
function dsn(to: string, recipient: string, fields: { action: string; status: string; diagnostic?: string }): string {
  return `From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: ${to}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; ${recipient}
Action: ${fields.action}
Status: ${fields.status}
${fields.diagnostic ? `Diagnostic-Code: smtp; ${fields.diagnostic}\n` : ''}
--B1
Content-Type: text/rfc822-headers

Subject: Your application R-1
--B1--
`.replace(/\n/g, '\r\n');
}

describe('bounces over SMTP', () => {
  it('sends with a signed per-notification envelope sender; a hard bounce makes it permanent-failure, in the API and the callback', async () => {
    const { id, returnPath } = await sendEmail('ada@example.com');
    const mail = sink.received.find((m) => m.raw.includes(id))!;
    expect(mail.from).toBe(returnPath);
    expect(mail.from).toMatch(new RegExp(`^bounces\\+${id}\\.[0-9a-f]{16}@${DOMAIN.replace(/\./g, '\\.')}$`));
    expect(mail.raw).toMatch(/^From: Parking permits <svc-[a-z0-9]+@localhost>\r?$/m); // the header From is unchanged

    const info = await mailBounce(
      returnPath,
      dsn(returnPath, 'ada@example.com', { action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 <ada@example.com>: User unknown' }),
    );
    expect(info.accepted).toEqual([returnPath]);
    // The listener answers 250 only once the change is committed.
    expect(await statusOf(id)).toBe('permanent-failure');
    expect((await row(id)).provider_response).toBe('bounce: failed 5.1.1; smtp; 550 5.1.1 <ada@example.com>: User unknown');
    await until(() => receipts.some((r) => r.id === id && r.status === 'permanent-failure'), 100);
    expect(
      receipts
        .filter((r) => r.id === id)
        .map((r) => r.status)
        .sort(),
    ).toEqual(['delivered', 'permanent-failure']);

    // The same bounce again, or a later soft one, changes nothing.
    await mailBounce(
      returnPath,
      dsn(returnPath, 'ada@example.com', { action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 <ada@example.com>: User unknown' }),
    );
    await mailBounce(returnPath, dsn(returnPath, 'ada@example.com', { action: 'failed', status: '4.2.2' }));
    expect(await statusOf(id)).toBe('permanent-failure');
    expect(await reports(id)).toEqual([
      { kind: 'bounce', action: 'failed', dsn_status: '5.1.1', new_status: 'permanent-failure' },
      { kind: 'bounce', action: 'failed', dsn_status: '4.2.2', new_status: null },
    ]);
    // A later notification's receipt arrives; no second permanent-failure receipt came before it.
    const later = await sendEmail('later@example.com');
    await until(() => receipts.some((r) => r.id === later.id), 100);
    expect(receipts.filter((r) => r.id === id)).toHaveLength(2);

    // The service team sees the reports on the message's page in the console.
    await t.modules.catalogue.service.createStaff(
      { kind: 'cli' },
      { email: 'team@parking.example.gov.uk', password: 'a long staff passphrase', role: 'service_team', organisationSlug: fx.org.slug },
    );
    const staff = formBrowser(t);
    await staff.get('/admin/sign-in');
    expect(
      (await staff.post('/admin/sign-in', { email: 'team@parking.example.gov.uk', password: 'a long staff passphrase' })).statusCode,
    ).toBe(303);
    const page = (await staff.get(`/admin/notify/${fx.service.slug}/messages/${id}`)).body
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
    expect(page).toContain('Reports mailed back');
    expect(page).toContain('Bounce failed 5.1.1; smtp; 550 5.1.1 <ada@example.com>: User unknown permanent-failure');
    expect(page).toContain('Bounce failed 4.2.2 No change');
  });

  it('posts one notification’s receipts in the order its status changed, even when they are queued together', async () => {
    // With the outbox paused, the delivery and the bounce both happen before either receipt is
    // queued: their two callback jobs are queued together and fetched in one batch.
    await t.kernel.events.stop();
    const { id, returnPath } = await sendEmail('queued-together@example.com');
    await mailBounce(returnPath, dsn(returnPath, 'queued-together@example.com', { action: 'failed', status: '5.1.1' }));
    slowDelivered = true; // posted side by side, the slow `delivered` would be answered last
    try {
      await t.kernel.events.start();
      await until(() => receipts.filter((r) => r.id === id).length === 2, 100);
    } finally {
      slowDelivered = false;
    }
    expect(receipts.filter((r) => r.id === id).map((r) => r.status)).toEqual(['delivered', 'permanent-failure']);
  });

  it('makes a soft bounce temporary-failure; a delayed report is recorded and changes nothing', async () => {
    const soft = await sendEmail('full@example.com');
    await mailBounce(
      soft.returnPath,
      dsn(soft.returnPath, 'full@example.com', { action: 'failed', status: '4.2.2', diagnostic: '452 4.2.2 Mailbox full' }),
    );
    expect(await statusOf(soft.id)).toBe('temporary-failure');
    await until(() => receipts.some((r) => r.id === soft.id && r.status === 'temporary-failure'), 100);

    const slow = await sendEmail('later-today@example.com');
    await mailBounce(slow.returnPath, dsn(slow.returnPath, 'later-today@example.com', { action: 'delayed', status: '4.4.7' }));
    expect(await statusOf(slow.id)).toBe('delivered');
    expect(await reports(slow.id)).toEqual([{ kind: 'delay', action: 'delayed', dsn_status: '4.4.7', new_status: null }]);
  });

  it('refuses forged or unknown bounce addresses at RCPT with 550, and messages over the size limit', async () => {
    const a = await sendEmail('a@example.com');
    const b = await sendEmail('b@example.com');
    const tokenOfA = /\.([0-9a-f]{16})@/.exec(a.returnPath)![1];
    const raw = dsn('x', 'x@example.com', { action: 'failed', status: '5.1.1' });
    const forged = [
      a.returnPath.replace(/\.([0-9a-f]{16})@/, '.0000000000000000@'), // a bad token
      `bounces+${b.id}.${tokenOfA}@${DOMAIN}`, // another notification's id with this token
      a.returnPath.replace(DOMAIN, 'elsewhere.test'), // another domain
      `postmaster@${DOMAIN}`,
    ];
    for (const to of forged) expect(await refusal(mailBounce(to, raw)), to).toBe(550);
    expect(
      await refusal(mailBounce(a.returnPath, `Subject: big\r\n\r\n${'x'.repeat(76).concat('\r\n').repeat(14_000)}`)),
      'over the size limit',
    ).toBe(552);
    expect([await statusOf(a.id), await statusOf(b.id)]).toEqual(['delivered', 'delivered']);
  });

  it('leaves a notification that already failed as it was', async () => {
    const { id, returnPath } = await sendEmail('rejected@example.com', 'permanent-failure');
    const before = (await row(id)).provider_response;
    expect(before).toContain('550');
    await mailBounce(returnPath, dsn(returnPath, 'rejected@example.com', { action: 'failed', status: '4.2.2' }));
    expect(await statusOf(id)).toBe('permanent-failure');
    expect((await row(id)).provider_response).toBe(before);
  });

  it('records a complaint (ARF) without changing the status, and reads a plain-text bounce', async () => {
    const complained = await sendEmail('grumpy@example.com');
    await mailBounce(
      complained.returnPath,
      `From: fbl@isp.example\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=arf\r\n\r\n--arf\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nVersion: 1\r\nOriginal-Rcpt-To: grumpy@example.com\r\n--arf--\r\n`,
    );
    expect(await statusOf(complained.id)).toBe('delivered');
    expect(await reports(complained.id)).toEqual([{ kind: 'complaint', action: 'abuse', dsn_status: '', new_status: null }]);

    const gone = await sendEmail('gone@example.com');
    await mailBounce(
      gone.returnPath,
      'From: MAILER-DAEMON@old.example\r\nSubject: failure notice\r\n\r\nSorry, I could not deliver your message.\r\nRemote host said: 550 5.1.1 <gone@example.com>... User unknown\r\n',
    );
    expect(await statusOf(gone.id)).toBe('permanent-failure');
  });

  it('defers (451) a bounce that arrives while the delivery attempt is still waiting for the relay', async () => {
    const { id, returnPath } = await sendEmail('slow@example.com', '');
    await until(() => sink.stalled.some((m) => m.raw.includes(id)));
    expect(await refusal(mailBounce(returnPath, dsn(returnPath, 'slow@example.com', { action: 'failed', status: '5.1.1' })))).toBe(451);
    // The hand-over times out: its outcome is unknown, never resent (delivery.ts).
    await until(async () => (await statusOf(id)) === 'technical-failure', 200);
  });
});

describe('the bounce listener’s port', () => {
  it('when already taken, is logged once and the process carries on without it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const other = await buildTestApp({
      notify: { ...testConfig().notify, bounceDomain: DOMAIN, bounceSmtpPort: port, bounceSmtpHost: '127.0.0.1' },
    });
    try {
      const warn = vi.spyOn(other.kernel.log, 'warn');
      await other.startWorkers();
      expect(other.modules.notify.bounces.port()).toBeNull();
      expect(warn.mock.calls.filter((c) => String(c[1]).includes('bounce listener port in use'))).toHaveLength(1);
      const o = await notifyFixture(other);
      const sent = await other.modules.notify.service.sendEmail(o.service.id, {
        templateId: o.templates.email.id,
        to: 'x@example.com',
        personalisation: { name: 'A', reference: 'R', extra: 'no' },
      });
      await until(async () => (await other.modules.notify.service.notification(o.service.id, sent.id)).status === 'delivered');
    } finally {
      await other.close();
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    expect(t.modules.notify.bounces.port()).toBeGreaterThan(0);
  });
});
