// Bounces that arrive after the relay took an email. Each email is sent with its own envelope
// sender (VERP): bounces+<notification id>.<token>@<NOTIFY_BOUNCE_DOMAIN>, the token an HMAC of
// the id, so a bounce names its notification and nobody can make one for another. The MX for
// that domain points at the SMTP listener here, which accepts mail only for such addresses,
// reads the delivery status notification (dsn.ts) and, in one transaction, records the report
// and moves the notification to permanent-failure or temporary-failure through delivery.ts —
// the same update, status event and delivery-receipt callback as any other status change.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Config } from '../../config.js';
import type { Kernel } from '../../kernel/module.js';
import type { Delivery } from './delivery.js';
import { decisive, readReports, statusFor, type Report } from './dsn.js';
import { store } from './store.js';

/** Reports and returned headers are small; our emails carry no attachments (files go by link). */
export const MAX_REPORT_BYTES = 1024 * 1024;
const RETRY_LISTEN_MS = 30_000;

const token = (secret: string, id: string) => createHmac('sha256', secret).update(`notify-bounce:${id}`).digest('hex').slice(0, 16);

/**
 * The envelope sender for one notification. Lower-case hex only, so a mail system that changes
 * the case of local parts does not break it. Signed with the session secret, which every
 * process of a deployment already shares; changing it orphans bounces still on their way.
 */
export function bounceAddress(config: Config, id: string): string {
  return `bounces+${id}.${token(config.sessionSecret, id)}@${config.notify.bounceDomain}`;
}

/** The notification a bounce address belongs to, or null when it is not one of ours, well signed. */
export function bounceNotification(config: Config, address: string): string | null {
  const m = /^bounces\+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-f]{16})@(.+)$/.exec(
    address.trim().toLowerCase(),
  );
  if (!m || m[3] !== config.notify.bounceDomain?.toLowerCase()) return null;
  const want = Buffer.from(token(config.sessionSecret, m[1]));
  return timingSafeEqual(Buffer.from(m[2]), want) ? m[1] : null;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/** The notification is with the relay right now: its outcome is not written yet, so the report must wait. */
class InFlight extends Error {}

export function createBounces(k: Kernel, delivery: Delivery) {
  const { db, config, log } = k;
  let server: SMTPServer | null = null;
  let retry: NodeJS.Timeout | undefined;
  let stopped = true;
  let warned = false;

  /** Records one report for one notification and applies the status it calls for, together. */
  async function apply(id: string, r: Report): Promise<void> {
    const status = statusFor(r);
    const kind = r.kind === 'complaint' ? 'complaint' : status ? 'bounce' : r.action === 'delayed' ? 'delay' : 'delivery';
    await db.transaction(async (tx) => {
      const n = await store.emailForReport(tx, id);
      if (!n) {
        log.info({ id }, 'notify: bounce for a notification that no longer exists; dropped');
        return;
      }
      // A relay can bounce before our attempt has written "delivered": answer 4xx so the sender
      // tries again shortly, rather than lose the bounce under that outcome.
      if (status && n.status === 'sending' && n.attempt_id) throw new InFlight();
      const response = `bounce: ${r.action} ${r.status}${r.diagnostic ? `; ${r.diagnostic}` : ''}`.trim();
      const changed = status ? await delivery.bounced(tx, id, status, response) : null;
      await store.insertEmailReport(tx, {
        notification_id: id,
        service_id: n.service_id,
        kind,
        action: r.action.slice(0, 50),
        dsn_status: r.status,
        diagnostic: r.diagnostic?.slice(0, 1000) ?? null,
        recipient: r.recipient?.slice(0, 320) ?? null,
        new_status: changed?.status ?? null,
      });
      log.info({ id, kind, action: r.action, dsn: r.status, status: changed?.status ?? n.status }, 'notify: email report received');
    });
  }

  /** One message sent to bounce addresses; resolves once its effects are committed. */
  async function receive(ids: string[], raw: string): Promise<void> {
    const report = decisive(readReports(raw));
    if (!report) {
      log.info({ ids }, 'notify: mail to a bounce address reports nothing readable (an auto-reply?); dropped');
      return;
    }
    for (const id of ids) await apply(id, report);
  }

  function listen(): Promise<void> {
    const { bounceDomain, bounceSmtpPort, bounceSmtpHost } = config.notify;
    const s = new SMTPServer({
      name: bounceDomain,
      banner: 'Cityscape Notify bounces',
      logger: false,
      size: MAX_REPORT_BYTES,
      // Mail servers deliver bounces unauthenticated and mostly in clear; there is nothing to log in to.
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      maxClients: 100,
      socketTimeout: 60_000,
      closeTimeout: 1_000,
      onRcptTo(address, _session, callback) {
        if (bounceNotification(config, address.address)) return callback();
        callback(smtpError(550, '5.1.1 No such recipient'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_REPORT_BYTES) chunks.push(c);
        });
        stream.on('end', () => {
          if ((stream as { sizeExceeded?: boolean }).sizeExceeded || size > MAX_REPORT_BYTES)
            return callback(smtpError(552, '5.3.4 Message too big'));
          const ids = [
            ...new Set(session.envelope.rcptTo.map((r) => bounceNotification(config, r.address)).filter((id): id is string => !!id)),
          ];
          receive(ids, Buffer.concat(chunks).toString('utf8')).then(
            () => callback(),
            (err) => {
              if (!(err instanceof InFlight)) log.error({ err, ids }, 'notify: could not process a bounce; the sender will retry');
              callback(smtpError(451, '4.3.0 Try again later'));
            },
          );
        });
      },
    });
    return new Promise((resolve) => {
      let listening = false;
      s.on('error', (err: NodeJS.ErrnoException) => {
        if (listening) {
          log.debug({ err }, 'notify: bounce listener connection error');
          return;
        } // the internet's noise
        if (err.code === 'EADDRINUSE') {
          // Several processes on one host: one listens, the others carry on and try again now and
          // then, so one of them takes over if the listener's process goes away.
          if (!warned)
            log.warn(
              { port: bounceSmtpPort },
              'notify: bounce listener port in use (another process is listening?); carrying on without it',
            );
          warned = true;
          if (!stopped)
            retry = setTimeout(() => {
              void listen();
            }, RETRY_LISTEN_MS);
        } else log.error({ err, port: bounceSmtpPort }, 'notify: bounce listener could not start');
        resolve();
      });
      s.listen(bounceSmtpPort, bounceSmtpHost ?? config.host, () => {
        listening = true;
        if (stopped) {
          s.close();
          return resolve();
        }
        server = s;
        if (warned) log.info({ port: bounceSmtpPort }, 'notify: bounce listener started');
        resolve();
      });
    });
  }

  return {
    receive,
    /** Starts the listener when NOTIFY_BOUNCE_SMTP_PORT is set (processes that run workers). */
    async start(): Promise<void> {
      if (!config.notify.bounceDomain || config.notify.bounceSmtpPort === undefined || !stopped) return;
      stopped = false;
      await listen();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(retry);
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    /** The port the listener is bound to (useful with port 0), or null when this process is not listening. */
    port(): number | null {
      return server ? (server.server.address() as AddressInfo).port : null;
    },
  };
}
export type Bounces = ReturnType<typeof createBounces>;
