// Telling citizens about their permissions, through Notify, as the service that holds them:
// an email or text when one is about to end (CONSENT_EXPIRY_NOTICE_DAYS before), and when a
// service used one to check information (the exchange's USED_EVENT; at most one a day per
// permission). A sweep also marks permissions that have ended, for webhooks
// (consent.auto_expiry). Each notice is a job: retried if Notify is briefly unavailable.
import type { Queryable } from '../../kernel/db.js';
import type { Jobs } from '../../kernel/jobs.js';
import type { StoredEvent } from '../../kernel/events.js';
import { translator } from '../../kernel/views.js';
import type { Views } from '../../kernel/views.js';
import type { NotifyService } from '../notify/index.js';
import type { Ctx } from './context.js';
import type { IdentityView } from './web.js';
import { peopleStore } from './store-people.js';
import { recordStore } from './store-records.js';
import { durationText, factName } from './web.js';

export const NOTICE_QUEUE = 'consent.notice';
const TEMPLATE = { email: 'Permission notice (Cityscape consent)', sms: 'Permission notice text (Cityscape consent)' };

export type Notifier = Pick<NotifyService, 'templates' | 'createTemplate' | 'sendEmail' | 'sendSms'>;

export function createNotices(ctx: Ctx, jobs: Jobs, identity: IdentityView, views: Views, notify?: Notifier) {
  const { db, config, log } = ctx;
  const t = translator(views.messages, 'en');

  async function templateId(serviceId: string, type: 'email' | 'sms'): Promise<string> {
    const existing = (await notify!.templates(serviceId, type)).find((x: { name: string }) => x.name === TEMPLATE[type]) as
      { id: string } | undefined;
    if (existing) return existing.id;
    const created = await notify!.createTemplate(
      serviceId,
      type === 'email'
        ? { type, name: TEMPLATE.email, subject: '((subject))', body: '((body))' }
        : { type, name: TEMPLATE.sms, body: '((body))' },
      'cityscape-consent',
    );
    return created.id;
  }

  return {
    /** Queues notices for permissions about to end, and marks those that have ended (once each). */
    async sweep(): Promise<{ expiring: number; expired: number }> {
      let expiring = 0;
      let expired = 0;
      if (config.consent.expiryNoticeDays > 0) {
        expiring = await db.transaction(async (tx) => {
          const { rows } = await tx.query<{ id: string }>(
            `SELECT id FROM consent.records
              WHERE opt_in AND reminded_at IS NULL AND account_id IS NOT NULL
                AND expires_at > now() AND expires_at <= now() + make_interval(days => $1)
              ORDER BY expires_at LIMIT 200 FOR UPDATE SKIP LOCKED`,
            [config.consent.expiryNoticeDays],
          );
          if (!rows.length) return 0;
          await tx.query('UPDATE consent.records SET reminded_at = now() WHERE id = ANY($1::uuid[])', [rows.map((r) => r.id)]);
          await jobs.sendMany(
            rows.map((r) => ({ name: NOTICE_QUEUE, data: { recordId: r.id, kind: 'expiring' } })),
            { tx },
          );
          return rows.length;
        });
      }
      expired = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{
          id: string;
          organisation_id: string;
          agreement_id: string;
          service_id: string;
          individual_id: string;
          attributes: string[];
        }>(
          `SELECT r.id, r.organisation_id, r.agreement_id, r.service_id, r.individual_id, r.attributes FROM consent.records r
            WHERE r.opt_in AND r.expires_at <= now()
              AND NOT EXISTS (SELECT 1 FROM consent.notices n WHERE n.record_id = r.id AND n.kind = 'expired')
            LIMIT 200 FOR UPDATE OF r SKIP LOCKED`,
        );
        for (const r of rows) {
          await tx.query(`INSERT INTO consent.notices (record_id, kind, day) VALUES ($1, 'expired', current_date) ON CONFLICT DO NOTHING`, [
            r.id,
          ]);
          await ctx.events.append(tx, {
            stream: `consent.record:${r.id}`,
            type: 'consent.record.expired',
            payload: {
              record_id: r.id,
              organisation_id: r.organisation_id,
              agreement_id: r.agreement_id,
              service_id: r.service_id,
              individual_id: r.individual_id,
              opt_in: true,
              status: 'expired',
              attributes: r.attributes,
            },
          });
        }
        return rows.length;
      });
      return { expiring, expired };
    },

    /** Outbox subscriber for the exchange's "used" event: one notice a day per permission at most. */
    async onUsed(event: StoredEvent, tx: Queryable): Promise<void> {
      const recordId = event.payload.record_id;
      if (typeof recordId !== 'string' || !/^[0-9a-f-]{36}$/i.test(recordId)) return;
      if (!(await peopleStore.claimNotice(tx, recordId, 'used', new Date(event.created_at).toISOString().slice(0, 10)))) return;
      await jobs.send(NOTICE_QUEUE, { recordId, kind: 'used' }, { tx });
    },

    /** Sends one notice, if the citizen wants it and Notify is there; throws to retry. */
    async send(recordId: string, kind: 'expiring' | 'used'): Promise<'sent' | 'skipped'> {
      const r = await recordStore.get(db, null, recordId);
      if (!r?.account_id || !r.opt_in) return 'skipped';
      const prefs = await peopleStore.preferences(db, r.account_id);
      if (prefs.channel === 'none' || (kind === 'expiring' ? !prefs.notify_expiry : !prefs.notify_use)) return 'skipped';
      const [found, service, contact] = await Promise.all([
        ctx.agreement(r.agreement_id),
        ctx.service(r.service_id),
        identity.contact(r.account_id),
      ]);
      if (!found || !service || !contact) return 'skipped';
      const facts = found.agreement.attributes.filter((a) => r.attributes.includes(a.id)).map((a) => factName(a, 'en'));
      const vars = {
        service: service.name,
        organisation: found.agreement.controller_name,
        facts: facts.join(', '),
        date: r.expires_at
          ? new Date(r.expires_at).toLocaleDateString('en-GB', {
              day: 'numeric',
              month: 'long',
              year: 'numeric',
              timeZone: 'Europe/London',
            })
          : '',
        duration: durationText(found.agreement.duration_days, t),
        link: `${config.publicUrl}/your-data/permissions/${r.id}`,
      };
      const subject = t(`consent.notice.${kind}.subject`, vars);
      const body = t(`consent.notice.${kind}.body`, vars);
      if (!notify) {
        log.info({ recordId, kind }, 'consent notice not sent: no notify module');
        return 'skipped';
      }
      const sms = prefs.channel === 'sms' && contact.phone;
      if (sms)
        await notify.sendSms(service.id, {
          templateId: await templateId(service.id, 'sms'),
          to: contact.phone!,
          personalisation: { body: `${subject}. ${body}` },
          reference: `consent-${kind}-${r.id}`,
        });
      else
        await notify.sendEmail(service.id, {
          templateId: await templateId(service.id, 'email'),
          to: contact.email,
          personalisation: { subject, body },
          reference: `consent-${kind}-${r.id}`,
        });
      return 'sent';
    },
  };
}
export type Notices = ReturnType<typeof createNotices>;
