// The development outbox in the staff console (/admin/notify/outbox). A channel without a
// provider (SMTP_URL, NOTIFY_SMS_URL or NOTIFY_LETTER_URL unset) hands its messages to the
// local outbox, which keeps them instead of sending them. This page lists what was "sent" that
// way — newest first, for the services this staff member may manage, or one of them — with each
// message's words, the letter's PDF and the file kept under the data directory, so a developer
// can read the security codes, emails, texts and letters a fresh Cityscape sends.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Kernel } from '../../kernel/module.js';
import { NotFound } from '../../kernel/errors.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { NotifyService } from './service.js';
import { UUID } from './validate.js';

type Staff = NonNullable<Awaited<ReturnType<CatalogueService['staffActor']>>>;
const PAGE = 50;
const EXT = { email: 'eml', sms: 'json', letter: 'pdf' } as const;

/** Paragraphs of lines, for showing a message's text without styles. */
const paragraphs = (text: string) => text.split(/\n{2,}/).map((p) => p.split('\n'));

export function outboxPages(
  admin: FastifyInstance,
  k: Kernel,
  catalogue: CatalogueService,
  service: NotifyService,
  view: {
    staff(req: FastifyRequest): Staff;
    render(req: FastifyRequest, reply: FastifyReply, view: string, ctx: Record<string, unknown>): unknown;
    t(req: FastifyRequest): (key: string, params?: Record<string, string | number>) => string;
  },
) {
  const { config } = k;
  const dir = config.dataDir.startsWith('memory://') ? null : join(config.dataDir, 'notify-outbox');
  const kept = [!config.smtpUrl && 'email', !config.notify.smsUrl && 'sms', !config.notify.letterUrl && 'letter'].filter(
    (c): c is string => !!c,
  );

  admin.get('/admin/notify/outbox', async (req, reply) => {
    const actor = view.staff(req);
    const mine = (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
    const q = req.query as Record<string, unknown>;
    const only = typeof q.service === 'string' ? mine.find((s) => s.slug === q.service) : undefined;
    if (typeof q.service === 'string' && q.service && !only) throw new NotFound('No such service');
    const page = typeof q.page === 'string' && /^\d{1,5}$/.test(q.page) ? Math.max(1, Number(q.page)) : 1;
    const rows = mine.length
      ? await service.outbox(only ? [only.id] : mine.map((s) => s.id), { limit: PAGE + 1, offset: (page - 1) * PAGE })
      : [];
    const byId = new Map(mine.map((s) => [s.id, s]));
    const messages = rows.slice(0, PAGE).map((n) => {
      const s = byId.get(n.service_id)!;
      const file = dir ? join(dir, n.type, `${n.id}.${EXT[n.type]}`) : null;
      return {
        id: n.id,
        type: n.type,
        at: `${(n.completed_at ?? n.created_at).toISOString().slice(0, 19).replace('T', ' ')} UTC`,
        service: s,
        to: n.type === 'letter' ? (n.address ?? []).join(', ') : n.recipient,
        subject: n.subject,
        paragraphs: paragraphs(n.body),
        message: `/admin/notify/${s.slug}/messages/${n.id}`,
        pdf: n.type === 'letter' ? `/admin/notify/${s.slug}/messages/${n.id}/pdf` : null,
        file: file && existsSync(file) ? file : null,
      };
    });
    const link = (p: number) => `/admin/notify/outbox?${new URLSearchParams({ ...(only ? { service: only.slug } : {}), page: String(p) })}`;
    return view.render(req, reply, 'outbox', {
      title: view.t(req)('notify.console.outbox.title'),
      kept,
      dir,
      services: mine,
      only: only ?? null,
      messages,
      previous: page > 1 ? link(page - 1) : null,
      next: rows.length > PAGE ? link(page + 1) : null,
    });
  });

  // A letter as printed, for staff of its service (the API's /pdf needs a key).
  admin.get('/admin/notify/:slug/messages/:id/pdf', async (req, reply) => {
    const actor = view.staff(req);
    const { slug, id } = req.params as { slug: string; id: string };
    const s = await catalogue.getService(slug);
    if (!catalogue.canManage(actor, s.organisation.id, 'service') || !UUID.test(id)) throw new NotFound();
    const pdf = await service.letterPdf(s.id, id).catch(() => {
      throw new NotFound('No such letter');
    });
    return reply.type('application/pdf').header('content-disposition', `inline; filename="letter-${id}.pdf"`).send(Buffer.from(pdf));
  });
}
