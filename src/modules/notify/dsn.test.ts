// Reading bounce reports: RFC 3464 delivery status notifications as real mail servers write
// them (CRLF, folded fields, quoted boundaries, base64 parts, nesting), ARF complaints, and the
// plain-text fallback used only when there is no delivery-status part.
import { describe, expect, it } from 'vitest';
import { decisive, readReports, statusFor } from './dsn.js';

const crlf = (s: string) => s.replace(/\n/g, '\r\n');

/** A Postfix-style DSN: explanation, delivery-status, returned headers. */
function postfixDsn(groups: string, boundary = '8F2B.1700000000/mx.example.com'): string {
  return crlf(`Return-Path: <>
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="${boundary}"

This is a MIME-encapsulated message.

--${boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--${boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
X-Postfix-Queue-ID: 8F2B
Arrival-Date: Tue, 14 Nov 2023 10:00:00 +0000

${groups}
--${boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Parking permits <svc@localhost>
Subject: 550 5.1.1 in a subject must not be read
--${boundary}--
`);
}

describe('delivery status notifications', () => {
  it('reads a hard bounce with a folded Diagnostic-Code', () => {
    const reports = readReports(
      postfixDsn(`Final-Recipient: rfc822; ada@example.com
Original-Recipient: rfc822;ada@example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.example.com
Diagnostic-Code: smtp; 550 5.1.1 <ada@example.com>: Recipient address
    rejected: User unknown in virtual mailbox table
`),
    );
    expect(reports).toEqual([
      {
        kind: 'dsn',
        action: 'failed',
        status: '5.1.1',
        recipient: 'ada@example.com',
        diagnostic: 'smtp; 550 5.1.1 <ada@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
      },
    ]);
    expect(statusFor(reports[0])).toBe('permanent-failure');
  });

  it('maps a soft bounce to temporary-failure and a delay to no change', () => {
    const soft = readReports(
      postfixDsn('Final-Recipient: rfc822; b@example.com\nAction: failed\nStatus: 4.2.2\nDiagnostic-Code: smtp; 452 4.2.2 Mailbox full\n'),
    );
    expect(statusFor(soft[0])).toBe('temporary-failure');
    const delayed = readReports(
      postfixDsn(
        'Final-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.4.7\nWill-Retry-Until: Fri, 17 Nov 2023 10:00:00 +0000\n',
      ),
    );
    expect(delayed[0]).toMatchObject({ action: 'delayed', status: '4.4.7' });
    expect(statusFor(delayed[0])).toBeNull();
    for (const action of ['delivered', 'relayed', 'expanded']) {
      expect(
        statusFor(readReports(postfixDsn(`Final-Recipient: rfc822; b@example.com\nAction: ${action}\nStatus: 2.0.0\n`))[0]),
      ).toBeNull();
    }
  });

  it('takes the most final of several recipients, and a status from the diagnostic when Status is missing', () => {
    const reports = readReports(
      postfixDsn(`Final-Recipient: rfc822; a@example.com
Action: delayed
Status: 4.4.1

Final-Recipient: rfc822; b@example.com
Action: FAILED
Diagnostic-Code: smtp; 554 5.7.1 Rejected by policy
`),
    );
    expect(reports).toHaveLength(2);
    expect(decisive(reports)).toMatchObject({ recipient: 'b@example.com', action: 'failed', status: '5.7.1' });
  });

  it('reads a base64 delivery-status part nested in multipart/mixed, with LF line endings', () => {
    const status = Buffer.from(
      'Reporting-MTA: dns; exchange.example.com\r\n\r\nFinal-Recipient: rfc822;c@example.com\r\nAction: failed\r\nStatus: 5.2.1\r\n',
    )
      .toString('base64')
      .replace(/(.{60})/g, '$1\n');
    const raw = `From: postmaster@example.com
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/report; report-type="delivery-status"; boundary="inner b"

--inner b
Content-Type: text/plain

Delivery has failed.
--inner b
Content-Type: message/delivery-status
Content-Transfer-Encoding: base64

${status}
--inner b--

--outer--
`;
    expect(readReports(raw)).toEqual([{ kind: 'dsn', action: 'failed', status: '5.2.1', diagnostic: null, recipient: 'c@example.com' }]);
  });
});

describe('plain-text bounces and complaints', () => {
  it('reads an SMTP reply from a plain-text bounce, quoted-printable included', () => {
    const raw = crlf(`From: MAILER-DAEMON@qmail.example.com
Subject: failure notice
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hi. This is the qmail-send program. I'm afraid I wasn't able to deliver yo=
ur message.
<d@example.com>:
Remote host said: 550 5.1.1 <d@example.com>: Recipient address rejected =3D unknown
`);
    expect(readReports(raw)).toEqual([
      {
        kind: 'text',
        action: 'failed',
        status: '5.1.1',
        recipient: null,
        diagnostic: '550 5.1.1 <d@example.com>: Recipient address rejected = unknown',
      },
    ]);
  });

  it('treats a plain-text warning that the relay is still trying as a delay', () => {
    const raw =
      'Subject: Warning: message 1abc delayed 24 hours\n\nThe message has not yet been delivered.\n  451 4.4.1 host not responding\nThe relay will keep trying.\n';
    expect(readReports(raw)).toMatchObject([{ kind: 'text', action: 'delayed', status: '4.4.1' }]);
    expect(statusFor(readReports(raw)[0])).toBeNull();
  });

  it('does not read codes from the returned message, and finds nothing in an auto-reply', () => {
    const raw = `Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain

I am out of the office until Monday.
--x
Content-Type: message/rfc822

Subject: hi

Remote host said: 550 5.1.1 nope
--x--
`;
    expect(readReports(raw)).toEqual([]);
    expect(decisive([])).toBeNull();
  });

  it('reads an ARF complaint, which changes no status', () => {
    const raw = crlf(`From: fbl@isp.example
Content-Type: multipart/report; report-type=feedback-report; boundary="arf"

--arf
Content-Type: text/plain

This is an email abuse report.
--arf
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: <e@example.com>

--arf
Content-Type: message/rfc822

Subject: whatever
--arf--
`);
    const reports = readReports(raw);
    expect(reports).toEqual([{ kind: 'complaint', action: 'abuse', status: '', diagnostic: null, recipient: 'e@example.com' }]);
    expect(statusFor(reports[0])).toBeNull();
  });
});
