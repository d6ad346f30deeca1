// The words of the emails and text messages identity sends (from the locale files), and the
// development outbox used when no notify module is given: messages are kept in memory (the
// tests read codes from it) and never sent anywhere.
import type { Logger } from 'pino';
import { translator, type Lang, type Views } from '../../kernel/views.js';
import type { CodePurpose, Notifier } from './accounts.js';

export type { Lang };

export function createMessages(views: Views) {
  return {
    codeEmail(lang: Lang, purpose: CodePurpose, code: string, minutes: number) {
      const t = translator(views.messages, lang);
      const kind = purpose === 'reset_password' ? 'reset' : 'confirm';
      return { subject: t(`identity.messages.${kind}.subject`), body: t(`identity.messages.${kind}.body`, { code, minutes }) };
    },
    codeSms(lang: Lang, code: string, minutes: number) {
      return translator(views.messages, lang)('identity.messages.sms', { code, minutes });
    },
  };
}
export type Messages = ReturnType<typeof createMessages>;

export interface OutboxEntry {
  channel: 'email' | 'sms';
  to: string;
  subject?: string;
  body: string;
  at: Date;
}

export function devOutbox(log: Logger) {
  const entries: OutboxEntry[] = [];
  const keep = (e: OutboxEntry) => {
    entries.push(e);
    if (entries.length > 200) entries.shift();
    log.debug({ channel: e.channel }, 'identity: no notify module given, message kept in the development outbox');
  };
  const notifier: Notifier = {
    async sendEmail(m) {
      keep({ channel: 'email', to: m.to, subject: m.subject, body: m.body, at: new Date() });
    },
    async sendSms(m) {
      keep({ channel: 'sms', to: m.to, body: m.body, at: new Date() });
    },
  };
  return {
    notifier,
    entries,
    /** The newest six-digit code sent to this address or number (tests, local development). */
    lastCode(to: string): string | null {
      for (let i = entries.length - 1; i >= 0; i--) {
        if (entries[i].to === to) return /\b(\d{6})\b/.exec(entries[i].body)?.[1] ?? null;
      }
      return null;
    },
  };
}
