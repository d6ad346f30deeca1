// Invitations and summaries go through Notify as the room's first service, from plain templates
// Cityscape adds to that service the first time it needs them (the team can reword them in
// Notify's console afterwards).
import type { Logger } from 'pino';
import type { NotifyService } from '../notify/index.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { InvitationRow, LogRow, ParticipantRow, RoomRow } from './store.js';

const TEMPLATE = 'Call message (Cityscape Rooms)';

export function createNotices(deps: { notify: NotifyService; catalogue: CatalogueService; log: Logger }) {
  const { notify, log } = deps;

  async function templateId(serviceId: string, type: 'email' | 'sms'): Promise<string> {
    const existing = (await notify.templates(serviceId, type)).find((t: { name: string }) => t.name === TEMPLATE) as
      { id: string } | undefined;
    if (existing) return existing.id;
    return (
      await notify.createTemplate(
        serviceId,
        { type, name: TEMPLATE, subject: type === 'email' ? '((subject))' : null, body: '((body))' },
        'cityscape',
      )
    ).id;
  }

  async function send(serviceId: string, channel: 'email' | 'sms', to: string, subject: string, body: string, reference: string) {
    const input = { templateId: await templateId(serviceId, channel), to, personalisation: { subject, body }, reference };
    const r = (channel === 'email' ? await notify.sendEmail(serviceId, input) : await notify.sendSms(serviceId, input)) as { id?: string };
    return r?.id ?? null;
  }

  return {
    async invitation(room: RoomRow, inv: InvitationRow, link: string, host: string): Promise<string | null> {
      const expires = new Date(inv.expires_at).toUTCString().replace(/:\d\d GMT$/, ' GMT');
      const body =
        inv.channel === 'email'
          ? `${host} has invited you to a call: ${room.title}.\n\nEveryone on the call sees the same live figures.\n\nJoin the call:\n${link}\n\nThe link works once, for you only, until ${expires}. A host will let you in.`
          : `${host} has invited you to a call: ${room.title}. Join: ${link} (works once, until ${expires})`;
      return send(room.service_ids[0], inv.channel, inv.recipient, `Invitation to a call: ${room.title}`, body, `rooms-invite-${inv.id}`);
    },

    async summary(
      s: {
        room: RoomRow;
        attendees: ParticipantRow[];
        views: LogRow[];
        chat: LogRow[];
        decisions: LogRow[];
        actions: LogRow[];
      },
      link: string,
    ): Promise<number> {
      const lines = [
        `Summary of the call "${s.room.title}".`,
        '',
        `# Attendees`,
        ...s.attendees.map((p) => `* ${p.name}`),
        '',
        `# Decisions`,
        ...(s.decisions.length ? s.decisions.map((d) => `* ${d.detail.serviceName}: ${d.detail.decision}`) : ['None recorded.']),
        '',
        `# Actions`,
        ...(s.actions.length ? s.actions.map((a) => `* ${a.detail.serviceName}: ${a.detail.title}`) : ['None recorded.']),
        '',
        `The view changed ${s.views.length} times and ${s.chat.length} chat messages were sent. The full record:`,
        link,
      ];
      let sent = 0;
      for (const p of s.attendees) {
        if (!p.email) continue;
        try {
          await send(
            s.room.service_ids[0],
            'email',
            p.email,
            `Summary of the call: ${s.room.title}`,
            lines.join('\n'),
            `rooms-summary-${s.room.id}`,
          );
          sent++;
        } catch (err) {
          log.warn({ err, room: s.room.id }, 'rooms: a summary could not be sent');
        }
      }
      return sent;
    },
  };
}
