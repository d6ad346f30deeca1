// The provider contract every channel shares, and the providers shipped: email over SMTP
// (nodemailer, a pool of connections to SMTP_URL), an HTTP text message adapter and an HTTP
// letter-print adapter, and the local OUTBOX — a development stand-in that delivers nothing:
// it keeps each message (as .eml, .json or .pdf under <data dir>/notify-outbox, or in memory)
// for carriers that cannot be reached from here.
import nodemailer from 'nodemailer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config.js';

export type OutcomeStatus = 'delivered' | 'sending' | 'permanent-failure' | 'temporary-failure' | 'technical-failure';

/** What a provider said about one message. `retry`: safe to try again (it was not handed over). */
export interface Outcome {
  status: OutcomeStatus;
  response: string;
  reference?: string | null;
  retry?: boolean;
}

/** Thrown when the message may or may not have been handed over: it must never be sent again. */
export class OutcomeUnknown extends Error {}

export interface EmailMessage {
  id: string;
  from: { name: string; address: string };
  to: string;
  replyTo: string | null;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  /** SMTP envelope sender (where bounces go) when it differs from the From address. */
  returnPath?: string;
}
export interface SmsMessage {
  id: string;
  to: string;
  from: string;
  body: string;
}
export interface LetterMessage {
  id: string;
  pdf: Uint8Array;
  postage: string;
  pages: number;
  address: string[];
}

export interface Provider<M> {
  name: string;
  /**
   * How many messages it hands over at once (its connections). More wait before their hand-off
   * is written down (handoff.ts), so a message queued inside the provider is never taken for
   * one that may have gone. Unset: `NOTIFY_CONCURRENCY`.
   */
  parallel?: number;
  send(message: M): Promise<Outcome>;
  close(): Promise<void>;
}
export interface Providers {
  email: Provider<EmailMessage>;
  sms: Provider<SmsMessage>;
  letter: Provider<LetterMessage>;
  outbox: Outbox;
}

/** Errors that show the relay was never reached (or refused us before any message was offered). */
function notReached(err: any): boolean {
  if (['EDNS', 'EAUTH', 'ENOAUTH', 'ETLS', 'ECONFIG'].includes(err?.code)) return true;
  return /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN/.test(`${err?.message ?? ''} ${err?.cause?.code ?? ''}`);
}

export function smtpProvider(url: string, opts: { concurrency: number; timeoutMs: number; name?: string }): Provider<EmailMessage> {
  const connections = Math.max(1, Math.min(opts.concurrency, 16));
  const transport = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: connections,
    maxMessages: Infinity,
    connectionTimeout: Math.min(opts.timeoutMs, 30_000),
    greetingTimeout: Math.min(opts.timeoutMs, 30_000),
    socketTimeout: opts.timeoutMs,
  } as any);
  return {
    name: opts.name ?? 'smtp',
    parallel: connections,
    async send(m) {
      try {
        const info: any = await transport.sendMail({
          messageId: `<${m.id}@${m.from.address.split('@')[1] ?? 'cityscape'}>`,
          from: m.from,
          to: m.to,
          ...(m.replyTo ? { replyTo: m.replyTo } : {}),
          subject: m.subject,
          html: m.html,
          text: m.text,
          headers: m.headers,
          ...(m.returnPath ? { envelope: { from: m.returnPath, to: m.to } } : {}),
        });
        if (info.rejected?.length && !info.accepted?.length)
          return { status: 'permanent-failure', response: String(info.response ?? 'rejected') };
        return { status: 'delivered', response: String(info.response ?? '250 OK'), reference: info.messageId ?? null };
      } catch (err: any) {
        const code = Number(err?.responseCode);
        const response = String(err?.response ?? err?.message ?? err);
        if (code >= 500) return { status: 'permanent-failure', response };
        if (code >= 400) return { status: 'temporary-failure', response, retry: true };
        // No answer from the relay. If we never reached it, nothing was handed over and it may be
        // retried. Otherwise (a timeout or a dropped connection, which nodemailer reports the same
        // way whether or not DATA was sent) the relay may have the message: it must not be resent.
        if (notReached(err)) return { status: 'technical-failure', response, retry: true };
        throw new OutcomeUnknown(response);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** POSTs JSON (or a PDF) to a provider; 2xx → handed over, 4xx → rejected, 429/5xx → try again later. */
async function httpSend(
  url: string,
  token: string | undefined,
  body: string | Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Outcome> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      body: body as any,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch (err: any) {
    // Refused or unreachable: nothing was handed over. A timeout after sending: unknown.
    const cause = err?.cause?.code ?? err?.code;
    if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(cause))
      return { status: 'technical-failure', response: String(cause), retry: true };
    throw new OutcomeUnknown(String(err?.message ?? err));
  }
  const text = (await res.text().catch(() => '')).slice(0, 500);
  if (res.status >= 200 && res.status < 300) {
    let parsed: any = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      /* a bare 2xx */
    }
    const status: OutcomeStatus = parsed.status === 'delivered' ? 'delivered' : 'sending';
    return { status, response: `${res.status} ${text}`.trim(), reference: parsed.reference ?? parsed.id ?? null };
  }
  if (res.status === 429 || res.status >= 500)
    return { status: 'temporary-failure', response: `${res.status} ${text}`.trim(), retry: true };
  return { status: 'permanent-failure', response: `${res.status} ${text}`.trim() };
}

export function httpSmsProvider(url: string, token: string | undefined, timeoutMs: number): Provider<SmsMessage> {
  return {
    name: 'http-sms',
    send: (m) =>
      httpSend(
        url,
        token,
        JSON.stringify({ id: m.id, to: m.to, from: m.from, body: m.body }),
        { 'content-type': 'application/json' },
        timeoutMs,
      ),
    async close() {},
  };
}

export function httpLetterProvider(url: string, token: string | undefined, timeoutMs: number): Provider<LetterMessage> {
  return {
    name: 'http-letter',
    send: (m) =>
      httpSend(
        url,
        token,
        m.pdf,
        { 'content-type': 'application/pdf', 'x-notification-id': m.id, 'x-postage': m.postage, 'x-pages': String(m.pages) },
        timeoutMs,
      ),
    async close() {},
  };
}

export interface OutboxEntry {
  channel: 'email' | 'sms' | 'letter';
  id: string;
  to: string;
  at: string;
  file: string | null;
  summary: string;
}
export interface Outbox {
  entries(): OutboxEntry[];
}

/** Development only: keeps messages instead of sending them, and says so in every answer. */
export function outboxProviders(dataDir: string): {
  email: Provider<EmailMessage>;
  sms: Provider<SmsMessage>;
  letter: Provider<LetterMessage>;
  outbox: Outbox;
} {
  const dir = dataDir.startsWith('memory://') ? null : join(dataDir, 'notify-outbox');
  const recent: OutboxEntry[] = [];
  const keep = (e: OutboxEntry, contents?: string | Uint8Array, ext?: string) => {
    if (dir && contents !== undefined) {
      mkdirSync(join(dir, e.channel), { recursive: true });
      e.file = join(dir, e.channel, `${e.id}.${ext}`);
      writeFileSync(e.file, contents);
    }
    recent.unshift(e);
    if (recent.length > 200) recent.pop();
  };
  const response = 'accepted by the local outbox (development only: nothing was sent)';
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' } as any);
  return {
    email: {
      name: 'outbox',
      async send(m) {
        const info: any = await composer.sendMail({
          messageId: `<${m.id}@outbox.local>`,
          from: m.from,
          to: m.to,
          subject: m.subject,
          html: m.html,
          text: m.text,
          headers: m.headers,
        });
        keep(
          { channel: 'email', id: m.id, to: m.to, at: new Date().toISOString(), file: null, summary: m.subject },
          info.message as Buffer,
          'eml',
        );
        return { status: 'delivered', response };
      },
      async close() {},
    },
    sms: {
      name: 'outbox',
      async send(m) {
        keep(
          { channel: 'sms', id: m.id, to: m.to, at: new Date().toISOString(), file: null, summary: m.body.slice(0, 80) },
          JSON.stringify(m, null, 2),
          'json',
        );
        return { status: 'delivered', response };
      },
      async close() {},
    },
    letter: {
      name: 'outbox',
      async send(m) {
        keep(
          {
            channel: 'letter',
            id: m.id,
            to: m.address.join(', '),
            at: new Date().toISOString(),
            file: null,
            summary: `${m.pages} page(s), ${m.postage} class`,
          },
          m.pdf,
          'pdf',
        );
        return { status: 'delivered', response };
      },
      async close() {},
    },
    outbox: { entries: () => [...recent] },
  };
}

export function createProviders(config: Config): Providers {
  const timeoutMs = Math.max(2_000, Math.floor(config.notify.leaseSeconds * 1000 * 0.4));
  const outbox = outboxProviders(config.dataDir);
  return {
    email: config.smtpUrl ? smtpProvider(config.smtpUrl, { concurrency: config.notify.concurrency, timeoutMs }) : outbox.email,
    sms: config.notify.smsUrl ? httpSmsProvider(config.notify.smsUrl, config.notify.providerToken, timeoutMs) : outbox.sms,
    letter: config.notify.letterUrl ? httpLetterProvider(config.notify.letterUrl, config.notify.providerToken, timeoutMs) : outbox.letter,
    outbox: outbox.outbox,
  };
}
