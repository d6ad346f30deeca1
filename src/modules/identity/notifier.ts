// How identity's codes reach people: through Notify, as a catalogue service of its own (by
// default the demo's "Cityscape account", config.identity.notify), from an email template with
// ((subject)) and ((body)) and a text message template with ((body)) — the words come from
// identity's locale files, so they are in the person's language. Whatever Notify does with a
// message then applies: SMTP_URL / NOTIFY_SMS_URL when set, otherwise Notify's development
// outbox, which a developer reads in the staff console or under the data directory.
// `ensureNotifyService` is the demo's part: that service and its two templates, made once.
import type { Logger } from 'pino';
import type { CatalogueService } from '../catalogue/index.js';
import type { Notifier } from './accounts.js';

type Send = (
  serviceId: string,
  input: { templateId: string; to: string; personalisation?: Record<string, unknown>; reference?: string },
) => Promise<unknown>;

/** What identity needs of notify's service. */
export interface NotifySender {
  sendEmail: Send;
  sendSms: Send;
  /** Rejects when the service has no such template. */
  template(serviceId: string, id: string): Promise<unknown>;
  createTemplate(
    serviceId: string,
    input: { id?: string; type: 'email' | 'sms'; name: string; subject?: string | null; body: string },
    by: string,
  ): Promise<unknown>;
}

export interface NotifyVia {
  /** Catalogue service id or slug. */
  service: string;
  emailTemplateId: string;
  smsTemplateId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function findService(catalogue: CatalogueService, service: string) {
  if (UUID.test(service)) return catalogue.getServiceById(service);
  return catalogue.getService(service).catch(() => null);
}

export function notifyNotifier(catalogue: CatalogueService, notify: NotifySender, via: NotifyVia): Notifier {
  let serviceId: string | null = null;
  const sender = async (): Promise<string> => {
    if (serviceId) return serviceId;
    const s = await findService(catalogue, via.service);
    if (!s)
      throw new Error(
        `identity: sign-in codes are sent through the Notify service "${via.service}", which is not in the catalogue. ` +
          'Seed the demo (cityscape seed-demo) or set IDENTITY_NOTIFY_SERVICE_ID and its template ids.',
      );
    return (serviceId = s.id);
  };
  return {
    async sendEmail(m) {
      await notify.sendEmail(await sender(), {
        templateId: via.emailTemplateId,
        to: m.to,
        personalisation: { subject: m.subject, body: m.body },
        reference: m.reference,
      });
    },
    async sendSms(m) {
      await notify.sendSms(await sender(), {
        templateId: via.smsTemplateId,
        to: m.to,
        personalisation: { body: m.body },
        reference: m.reference,
      });
    },
  };
}

/** The demo's own catalogue service for Cityscape accounts, under a demo department. */
const DEMO_SERVICE = {
  name: 'Cityscape account',
  name_cy: 'Cyfrif Cityscape',
  summary: 'Sign in once to use Cityscape services, and prove who you are when a service needs to know.',
  summary_cy: 'Mewngofnodwch unwaith i ddefnyddio gwasanaethau Cityscape, a phrofwch pwy ydych chi pan fydd angen i wasanaeth wybod.',
  description:
    'One account for every service on Cityscape: an email address, a password and a second way to prove it is you. ' +
    'The security codes it sends come from this service in Notify.',
  phase: 'beta' as const,
  organisation_slug: 'department-for-citizenship-and-records',
  platforms: ['identity' as const, 'notify' as const],
};

/**
 * Seeds the sending service (the default one only, under the demo department, when the demo
 * catalogue is there) and its two templates with the configured ids, unless they exist.
 * Safe to run at every start and from two processes at once. Returns true if it made anything.
 */
export async function ensureNotifyService(
  catalogue: CatalogueService,
  notify: NotifySender,
  via: NotifyVia,
  opts: { defaultSlug: string; publicUrl: string; log: Logger },
): Promise<boolean> {
  let made = false;
  let service = await findService(catalogue, via.service);
  if (!service && via.service === opts.defaultSlug) {
    const org = await catalogue.getOrganisation(DEMO_SERVICE.organisation_slug).catch(() => null);
    if (!org) return false; // not the demo catalogue: the operator names their own service
    try {
      await catalogue.createService(
        { kind: 'cli' },
        { ...DEMO_SERVICE, slug: opts.defaultSlug, start_url: `${opts.publicUrl}/identity/account` },
      );
      made = true;
    } catch (err) {
      opts.log.debug({ err }, 'identity: the Cityscape account service was created meanwhile');
    }
    service = await findService(catalogue, via.service);
  }
  if (!service) return made;
  const templates = [
    {
      id: via.emailTemplateId,
      type: 'email' as const,
      name: 'Security code by email (Cityscape account)',
      subject: '((subject))',
      body: '((body))',
    },
    { id: via.smsTemplateId, type: 'sms' as const, name: 'Security code by text message (Cityscape account)', body: '((body))' },
  ];
  for (const t of templates) {
    if (
      await notify.template(service.id, t.id).then(
        () => true,
        () => false,
      )
    )
      continue;
    try {
      await notify.createTemplate(service.id, t, 'cityscape');
      made = true;
    } catch (err) {
      // Made meanwhile by another process — or the id is taken by another service's template.
      if (
        !(await notify.template(service.id, t.id).then(
          () => true,
          () => false,
        ))
      )
        opts.log.warn({ err, templateId: t.id }, 'identity: could not create the template for sign-in codes');
    }
  }
  return made;
}
