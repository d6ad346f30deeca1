// Messages to the citizen on each use of their data, when they asked for them on /your-data
// (email, text or both): an outbox subscriber reads each `exchange.request.completed` event
// (committed with its log entry), picks the released uses of people who opted in, and queues one
// job a use in the same transaction — so a use is messaged once, and a Notify outage only delays
// it. Covert uses are never messaged (a message would tip the person off); they appear on
// /your-data from their release date. Sent through Notify as the citizen's Cityscape account
// service (config.identity.notify.service, the demo's "Cityscape account") from two plain
// templates made there by the demo seed, or on first use.
import type { Logger } from 'pino';
import type { Db, Queryable } from '../../kernel/db.js';
import type { Jobs } from '../../kernel/jobs.js';
import type { StoredEvent } from '../../kernel/events.js';
import { translator, type Views } from '../../kernel/views.js';
import type { Config } from '../../config.js';
import { IDENTITY_NOTIFY_DEFAULTS } from '../../config.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { NotifyService } from '../notify/index.js';
import type { DirectoryCache } from './directory.js';
import { explain } from './citizen.js';
import type { LogEntry } from './log.js';

export const USE_ALERT_QUEUE = 'exchange.use-alert';
export const TEMPLATES = {
  email: { name: 'Your data was used (Cityscape exchange)', subject: '((subject))', body: '((body))' },
  sms: { name: 'Your data was used, text (Cityscape exchange)', body: '((body))' },
} as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type UseNotifier = Pick<NotifyService, 'templates' | 'createTemplate' | 'sendEmail' | 'sendSms'>;
export type Contact = (accountId: string) => Promise<{ email: string; phone: string | null } | null>;

export function createUseAlerts(deps: {
  db: Db;
  jobs: Jobs;
  log: Logger;
  config: Config;
  views: Views;
  catalogue: CatalogueService;
  directory: DirectoryCache;
  notify?: UseNotifier;
  contact?: Contact;
}) {
  const { db, jobs, log, config, catalogue, notify, contact } = deps;
  const t = translator(deps.views.messages, 'en');
  const sendingService = config.identity.notify?.service ?? IDENTITY_NOTIFY_DEFAULTS.service;

  async function serviceId(): Promise<string | null> {
    const s = UUID.test(sendingService)
      ? await catalogue.getServiceById(sendingService).catch(() => null)
      : await catalogue.getService(sendingService).catch(() => null);
    return s?.id ?? null;
  }

  /** The template of that type on the sending service, made if it is not there yet. */
  async function template(service: string, type: 'email' | 'sms'): Promise<string> {
    const found = (await notify!.templates(service, type)).find((x: { name: string }) => x.name === TEMPLATES[type].name) as
      { id: string } | undefined;
    if (found) return found.id;
    return (await notify!.createTemplate(service, { type, ...TEMPLATES[type] }, 'cityscape-exchange')).id;
  }

  return {
    /** The demo's part: both templates on the sending service (when the service exists). */
    async ensureTemplates(): Promise<boolean> {
      if (!notify) return false;
      const service = await serviceId();
      if (!service) return false;
      const before = (await notify.templates(service, null)).length;
      await template(service, 'email');
      await template(service, 'sms');
      return (await notify.templates(service, null)).length > before;
    },

    /** Outbox subscriber: a job for each released, visible use whose person asked to be told. */
    async onCompleted(events: StoredEvent[], tx: Queryable): Promise<void> {
      const leaves = events
        .filter((e) => e.payload?.outcome === 'released' && Number.isSafeInteger(e.payload?.leaf_index))
        .map((e) => Number(e.payload.leaf_index));
      if (!leaves.length) return;
      const { rows } = await tx.query<{ leaf_index: string; email: boolean; sms: boolean }>(
        `SELECT e.leaf_index::text, a.email, a.sms FROM exchange.log_entries e JOIN exchange.alerts a ON a.subject = e.subject
          WHERE e.leaf_index = ANY($1::bigint[]) AND (a.email OR a.sms) AND (e.visible_from IS NULL OR e.visible_from <= now())`,
        [leaves],
      );
      // One job a channel, so a retried text never sends the email twice.
      const queued = rows.flatMap((r) =>
        (['email', 'sms'] as const)
          .filter((c) => r[c])
          .map((channel) => ({ name: USE_ALERT_QUEUE, data: { leafIndex: Number(r.leaf_index), channel } })),
      );
      if (queued.length) await jobs.sendMany(queued, { tx });
    },

    /** Sends one use's message by email or text, if the citizen still wants it; throws to be retried. */
    async send(leafIndex: number, channel: 'email' | 'sms'): Promise<'sent' | 'skipped'> {
      const { rows } = await db.query<{ leaf_hash: Buffer; entry: string; subject: string; email: boolean; sms: boolean }>(
        `SELECT e.leaf_hash, e.entry, e.subject, a.email, a.sms FROM exchange.log_entries e JOIN exchange.alerts a ON a.subject = e.subject
          WHERE e.leaf_index = $1 AND (e.visible_from IS NULL OR e.visible_from <= now())`,
        [leafIndex],
      );
      const r = rows[0];
      if (!r || !r[channel] || !UUID.test(r.subject)) return 'skipped';
      if (!notify || !contact) {
        log.info({ leafIndex }, 'exchange: a use was not messaged (no notify or no contact details)');
        return 'skipped';
      }
      const [person, service] = await Promise.all([contact(r.subject), serviceId()]);
      if (!person || !service) return 'skipped';
      const u = await explain(
        await deps.directory.get(),
        catalogue,
        { index: leafIndex, leaf: Buffer.from(r.leaf_hash).toString('base64'), entry: JSON.parse(r.entry) as LogEntry },
        'en',
        t,
      );
      const vars = {
        organisation: u.organisation,
        service: u.servicePage?.name ?? u.clientName,
        facts: u.attributes.join(', ') || '—',
        provider: u.provider,
        purpose: u.purpose,
        basis: u.basis.title,
        when: new Date(u.at).toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/London' }),
        link: `${config.publicUrl}/your-data/uses/${leafIndex}`,
      };
      const subject = t('exchange.useAlert.subject', vars);
      const body = t('exchange.useAlert.body', vars);
      const reference = `exchange-use-${leafIndex}`;
      if (channel === 'email')
        await notify.sendEmail(service, {
          templateId: await template(service, 'email'),
          to: person.email,
          personalisation: { subject, body },
          reference,
        });
      else if (person.phone)
        await notify.sendSms(service, {
          templateId: await template(service, 'sms'),
          to: person.phone,
          personalisation: { body: t('exchange.useAlert.sms', vars) },
          reference,
        });
      else return 'skipped';
      return 'sent';
    },
  };
}
export type UseAlerts = ReturnType<typeof createUseAlerts>;
