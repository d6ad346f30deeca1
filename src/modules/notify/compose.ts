// The message for each channel's provider, made from a stored notification: an email rendered
// from its Markdown (with its own envelope sender when bounces are read), a text message, or a
// letter's PDF (rendered, or the precompiled file) — and the outcome Notify's simulated
// recipients get instead of being sent.
import type { Kernel } from '../../kernel/module.js';
import { renderEmail } from './content/email.js';
import { renderLetterPdf } from './content/letter.js';
import type { Outcome, Providers } from './providers.js';
import type { Profiles } from './profiles.js';
import { store, type NotificationRow } from './store.js';
import { bounceAddress } from './bounces.js';

export function createComposer(k: Pick<Kernel, 'db' | 'config'>, profiles: Profiles, providers: Providers) {
  const { db, config } = k;

  async function letterPdf(row: NotificationRow): Promise<{ pdf: Uint8Array; pages: number }> {
    if (row.precompiled) {
      const f = await store.letterFile(db, row.id);
      if (!f) throw new Error(`precompiled letter ${row.id} has no file`);
      return { pdf: f.pdf, pages: f.pages };
    }
    const p = await profiles.get(row.service_id);
    return renderLetterPdf({
      serviceName: p.name,
      address: row.address ?? [],
      contactBlock: row.sender,
      date: row.created_at,
      subject: row.subject ?? '',
      body: row.body,
    });
  }

  function simulatedOutcome(row: NotificationRow): Outcome {
    const to = row.normalised_to ?? '';
    if (to === 'perm-fail@simulator.notify' || to === '447700900002')
      return { status: 'permanent-failure', response: 'simulated permanent failure' };
    if (to === 'temp-fail@simulator.notify' || to === '447700900003')
      return { status: 'temporary-failure', response: 'simulated temporary failure' };
    return { status: 'delivered', response: 'simulated: never sent' };
  }

  /** The message for the row's provider, made before a connection is taken. */
  async function compose(row: NotificationRow): Promise<{ provider: string; send(): Promise<Outcome>; billableUnits?: number }> {
    const p = await profiles.get(row.service_id);
    if (row.type === 'email') {
      const rendered = renderEmail({ serviceName: p.name, subject: row.subject ?? '', body: row.body });
      const headers: Record<string, string> = { 'X-Notify-Notification-Id': row.id };
      if (row.one_click_unsubscribe_url) {
        headers['List-Unsubscribe'] = `<${row.one_click_unsubscribe_url}>`;
        headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
      }
      // With bounce handling on, the envelope sender is this notification's own signed address,
      // so a bounce arriving later says which notification it is about (bounces.ts).
      const returnPath = config.notify.bounceDomain ? bounceAddress(config, row.id) : undefined;
      const message = {
        id: row.id,
        from: { name: p.name, address: p.fromEmail },
        to: row.recipient!,
        replyTo: row.sender,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        headers,
        returnPath,
      };
      return { provider: providers.email.name, send: () => providers.email.send(message) };
    }
    if (row.type === 'sms') {
      const message = { id: row.id, to: `+${row.normalised_to}`, from: row.sender ?? p.smsSender, body: row.body };
      return { provider: providers.sms.name, send: () => providers.sms.send(message) };
    }
    const { pdf, pages } = await letterPdf(row);
    const message = { id: row.id, pdf, pages, postage: row.postage ?? 'second', address: row.address ?? [] };
    return {
      provider: providers.letter.name,
      send: () => providers.letter.send(message),
      billableUnits: Math.max(1, Math.ceil(pages / 2)),
    };
  }

  return { compose, letterPdf, simulatedOutcome };
}
