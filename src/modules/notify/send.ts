// Accepting a notification: the checks Notify makes, in Notify's order and with its messages,
// then the notification row and its delivery job written in one transaction, so an accepted
// notification is never lost and never queued without its row.
import { randomUUID } from 'node:crypto';
import type { Kernel } from '../../kernel/module.js';
import { badRequest, NotifyError, validationError } from './errors.js';
import { fillAll, normalise, sanitiseValue, type Channel } from './content/placeholders.js';
import { addressLines, InvalidRecipient, normaliseEmail, validateAddress, validatePhone } from './content/recipients.js';
import { smsBody, smsCount, smsLength, SMS_CHAR_COUNT_LIMIT } from './content/sms.js';
import { inspectPdf, sheetsFor } from './content/letter.js';
import { prepareDocuments } from './documents.js';
import type { Limits } from './limits.js';
import type { Profiles, ServiceProfile } from './profiles.js';
import { store, type KeyType, type NewNotification, type TemplateRow } from './store.js';
import type { EmailRequest, LetterRequest, PrecompiledRequest, SmsRequest } from './validate.js';
import { createBatcher, type Extras } from './batch.js';

export interface Sender {
  serviceId: string;
  keyId: string | null;
  keyType: KeyType;
  createdByName?: string | null;
  internal?: boolean;
}

/** Notify's test recipients: accepted and given statuses, never sent. */
const SIMULATED = new Set([
  'simulate-delivered@notifications.service.gov.uk',
  'simulate-delivered-2@notifications.service.gov.uk',
  'simulate-delivered-3@notifications.service.gov.uk',
  '447700900000',
  '447700900111',
  '447700900222',
  'perm-fail@simulator.notify',
  'temp-fail@simulator.notify',
  '447700900002',
  '447700900003',
]);

const EMAIL_MAX_BYTES = 2_000_000;
const TEMPLATE_TTL_MS = 2_000;
const TRIAL = 'see https://www.notifications.service.gov.uk/trial-mode';

export function createSender(k: Kernel, profiles: Profiles, limits: Limits, afterCommit: () => void = () => {}) {
  const { db, config } = k;
  const base = `${config.publicUrl}/notify`;
  const batcher = createBatcher(k, limits, afterCommit);
  // Templates are read on every send; a short cache (dropped in every process on every edit) spares the query.
  const templates = k.caches.create<TemplateRow>('notify.templates', { ttlMs: TEMPLATE_TTL_MS, max: 10_000 });

  async function loadTemplate(serviceId: string, templateId: string, type: Channel): Promise<TemplateRow> {
    const id = templateId.toLowerCase();
    let t: TemplateRow | null | undefined = templates.get(id);
    if (t === undefined) {
      const generation = templates.generation;
      t = await store.template(db, serviceId, id);
      if (t) templates.set(id, t, generation);
    }
    if (t && t.service_id !== serviceId) t = null;
    if (!t) throw badRequest('Template not found');
    if (t.type !== type) throw badRequest(`${t.type} template is not suitable for ${type} notification`);
    if (t.archived) throw badRequest('Template has been deleted');
    return t;
  }

  async function mayReach(p: ServiceProfile, sender: Sender, to: { email?: string; phone?: string }): Promise<void> {
    const restricted = sender.keyType === 'team' || (sender.keyType === 'live' && p.settings.restricted && !sender.internal);
    if (!restricted) return;
    const allowed = await profiles.allowedRecipients(p);
    const ok = to.email ? allowed.emails.has(normaliseEmail(to.email)) : to.phone ? allowed.phones.has(to.phone) : false;
    if (!ok) {
      throw badRequest(
        sender.keyType === 'team'
          ? 'Can’t send to this recipient using a team-only API key'
          : `Can’t send to this recipient when service is in trial mode – ${TRIAL}`,
      );
    }
  }

  function checkRate(p: ServiceProfile, sender: Sender) {
    if (!sender.internal) limits.checkRate(p.id, sender.keyType, p.settings.rate_limit ?? config.notify.rateLimitPerMinute);
  }

  /** The fields every notification row takes from its service and sender. */
  const rowOf = (p: ServiceProfile, sender: Sender, id: string, type: Channel) => ({
    id,
    service_id: p.id,
    api_key_id: sender.keyId,
    key_type: sender.keyType,
    type,
    created_by_name: sender.createdByName ?? null,
  });

  /** The daily limit this send counts against (none for test keys and simulated recipients); refuses at once if known full. */
  function dailyLimit(p: ServiceProfile, sender: Sender, type: Channel, simulated: boolean): number | undefined {
    if (sender.keyType === 'test' || simulated) return undefined;
    const limit = p.settings[`${type}_limit`] ?? config.notify.dailyLimits[type];
    limits.checkDaily(p.id, type, limit);
    return limit;
  }

  /** Row + job (+ documents, precompiled PDF) and its place under the daily limit committed together, batched with concurrent sends (batch.ts). */
  const persist = (row: NewNotification, extras: Extras = {}) => batcher.persist(row, extras);

  function scheduled(v: string | null | undefined): Date | null {
    if (v === undefined || v === null) return null;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw validationError([`scheduled_for ${v} is not a valid datetime`]);
    if (d.getTime() > Date.now() + 24 * 3600_000)
      throw validationError(['scheduled_for datetime cannot be more than 24 hours in the future']);
    if (d.getTime() < Date.now() - 3600_000) throw validationError(['scheduled_for datetime can not be in the past']);
    return d;
  }

  const templateRef = (t: TemplateRow) => ({ id: t.id, version: t.version, uri: `${base}/v2/template/${t.id}` });

  return {
    /** Forget a template after it changes, here and in every other process. */
    forgetTemplate(id: string): Promise<void> {
      return templates.invalidate(id);
    },

    async email(sender: Sender, req: EmailRequest) {
      const p = await profiles.get(sender.serviceId);
      checkRate(p, sender);
      const t = await loadTemplate(p.id, req.template_id, 'email');
      const raw = req.personalisation ?? {};
      const sanitised: Record<string, string> = {};
      const values = { ...raw };
      for (const key of req.sanitise_content_for ?? []) {
        const match = Object.keys(values).find((k) => k === key);
        if (match !== undefined) {
          sanitised[match] = sanitiseValue(values[match]);
          values[match] = sanitised[match];
        }
      }
      const id = randomUUID();
      const documents = prepareDocuments(values, { serviceId: p.id, recipient: req.email_address, base, channel: 'email' });
      const filled = fillAll({ subject: t.subject, body: t.body }, normalise(documents.values), 'email');
      if (filled.missing.length) throw badRequest(`Missing personalisation: ${filled.missing.join(', ')}`);
      if (!filled.body.trim() && !(filled.subject ?? '').trim()) throw badRequest('Your message is empty.');
      const size = Buffer.byteLength(filled.body);
      if (size > EMAIL_MAX_BYTES)
        throw badRequest(`Your message is too long. Emails cannot be longer than ${EMAIL_MAX_BYTES} bytes. Your message is ${size} bytes.`);
      const to = req.email_address.trim();
      await mayReach(p, sender, { email: to });
      const simulated = sender.keyType === 'test' || SIMULATED.has(normaliseEmail(to));
      const limit = dailyLimit(p, sender, 'email', simulated);
      const when = scheduled(req.scheduled_for);
      await persist(
        {
          ...rowOf(p, sender, id, 'email'),
          template_id: t.id,
          template_version: t.version,
          recipient: to,
          normalised_to: normaliseEmail(to),
          reference: req.reference ?? null,
          status: 'created',
          subject: filled.subject,
          body: filled.body,
          address: null,
          postage: null,
          billable_units: 1,
          sender: p.settings.reply_to_email,
          one_click_unsubscribe_url: req.one_click_unsubscribe_url ?? null,
          precompiled: false,
          simulated,
          scheduled_for: when,
        },
        { documents: documents.pending, dailyLimit: limit },
      );
      return {
        id,
        reference: req.reference ?? null,
        content: {
          body: filled.body,
          subject: filled.subject ?? '',
          from_email: p.fromEmail,
          ...(req.one_click_unsubscribe_url ? { one_click_unsubscribe_url: req.one_click_unsubscribe_url } : {}),
        },
        uri: `${base}/v2/notifications/${id}`,
        template: templateRef(t),
        scheduled_for: when ? when.toISOString() : null,
        sanitised_content: Object.keys(sanitised).length ? { personalisation: sanitised } : {},
      };
    },

    async sms(sender: Sender, req: SmsRequest) {
      const p = await profiles.get(sender.serviceId);
      checkRate(p, sender);
      const t = await loadTemplate(p.id, req.template_id, 'sms');
      const values = req.personalisation ?? {};
      if (Object.values(values).some((v) => v && typeof v === 'object' && !Array.isArray(v) && 'file' in (v as object)))
        throw badRequest('Can only send a file by email');
      const filled = fillAll({ body: t.body }, normalise(values), 'sms');
      if (filled.missing.length) throw badRequest(`Missing personalisation: ${filled.missing.join(', ')}`);
      const body = smsBody(filled.body);
      if (!body) throw badRequest('Your message is empty.');
      if (smsLength(body) > SMS_CHAR_COUNT_LIMIT) {
        throw badRequest(
          `Your message is too long. Text messages cannot be longer than ${SMS_CHAR_COUNT_LIMIT} characters. Your message is ${smsLength(body)} characters long.`,
        );
      }
      let phone: string;
      try {
        phone = validatePhone(req.phone_number, { international: p.settings.international_sms }).normalised;
      } catch (err) {
        if (!(err instanceof InvalidRecipient)) throw err;
        if (err.message === 'Cannot send to international mobile numbers') throw badRequest(err.message);
        throw validationError([`phone_number ${err.message}`]);
      }
      await mayReach(p, sender, { phone });
      const simulated = sender.keyType === 'test' || SIMULATED.has(phone);
      const limit = dailyLimit(p, sender, 'sms', simulated);
      const when = scheduled(req.scheduled_for);
      const id = randomUUID();
      await persist(
        {
          ...rowOf(p, sender, id, 'sms'),
          template_id: t.id,
          template_version: t.version,
          recipient: req.phone_number,
          normalised_to: phone,
          reference: req.reference ?? null,
          status: 'created',
          subject: null,
          body,
          address: null,
          postage: null,
          billable_units: smsCount(body).fragments,
          sender: p.smsSender,
          one_click_unsubscribe_url: null,
          precompiled: false,
          simulated,
          scheduled_for: when,
        },
        { dailyLimit: limit },
      );
      return {
        id,
        reference: req.reference ?? null,
        content: { body, from_number: p.smsSender },
        uri: `${base}/v2/notifications/${id}`,
        template: templateRef(t),
        scheduled_for: when ? when.toISOString() : null,
      };
    },

    async letter(sender: Sender, req: LetterRequest) {
      const p = await profiles.get(sender.serviceId);
      if (sender.keyType === 'team') throw badRequest('Cannot send letters with a team api key');
      if (sender.keyType === 'live' && p.settings.restricted && !sender.internal)
        throw badRequest(`Cannot send letters when service is in trial mode - ${TRIAL}`);
      checkRate(p, sender);
      const t = await loadTemplate(p.id, req.template_id, 'letter');
      const values = normalise(req.personalisation);
      let address;
      try {
        address = validateAddress(addressLines(values), { international: p.settings.international_letters });
      } catch (err) {
        if (err instanceof InvalidRecipient) throw new NotifyError(400, 'ValidationError', err.message);
        throw err;
      }
      const filled = fillAll({ subject: t.subject, body: t.body }, values, 'letter');
      if (filled.missing.length) throw badRequest(`Missing personalisation: ${filled.missing.join(', ')}`);
      if (!filled.body.trim()) throw badRequest('Your message is empty.');
      const limit = dailyLimit(p, sender, 'letter', sender.keyType === 'test');
      const when = scheduled(req.scheduled_for);
      const id = randomUUID();
      const postage = address.postage ?? t.postage ?? 'second';
      await persist(
        {
          ...rowOf(p, sender, id, 'letter'),
          template_id: t.id,
          template_version: t.version,
          recipient: null,
          normalised_to: null,
          reference: req.reference ?? null,
          status: 'created',
          subject: filled.subject ?? '',
          body: filled.body,
          address: address.lines,
          postage,
          billable_units: 0,
          sender: t.letter_contact_block ?? p.settings.letter_contact_block,
          one_click_unsubscribe_url: null,
          precompiled: false,
          simulated: sender.keyType === 'test',
          scheduled_for: when,
        },
        { dailyLimit: limit },
      );
      return {
        id,
        reference: req.reference ?? null,
        content: { body: filled.body, subject: filled.subject ?? '' },
        uri: `${base}/v2/notifications/${id}`,
        template: templateRef(t),
        scheduled_for: when ? when.toISOString() : null,
        postage,
      };
    },

    async precompiled(sender: Sender, req: PrecompiledRequest) {
      const p = await profiles.get(sender.serviceId);
      if (sender.keyType === 'team') throw badRequest('Cannot send letters with a team api key');
      if (sender.keyType === 'live' && p.settings.restricted && !sender.internal)
        throw badRequest(`Cannot send letters when service is in trial mode - ${TRIAL}`);
      checkRate(p, sender);
      if (!/^[A-Za-z0-9+/=\s]*$/.test(req.content)) throw badRequest('Cannot decode letter content (invalid base64 encoding)');
      const bytes = Buffer.from(req.content, 'base64');
      if (!bytes.length) throw badRequest('Letter content is not a valid PDF');
      const info = await inspectPdf(bytes);
      if (!info) throw badRequest('Letter content is not a valid PDF');
      const limit = dailyLimit(p, sender, 'letter', sender.keyType === 'test');
      const id = randomUUID();
      // Notify checks the printable area later; we check the page size now and fail the letter if it is not A4.
      const status = info.a4 && info.pages <= 20 ? 'created' : 'validation-failed';
      await persist(
        {
          ...rowOf(p, sender, id, 'letter'),
          template_id: null,
          template_version: null,
          recipient: null,
          normalised_to: null,
          reference: req.reference,
          status,
          subject: 'Pre-compiled PDF',
          body: '',
          address: [req.reference],
          postage: req.postage ?? 'second',
          billable_units: sheetsFor(info.pages),
          sender: null,
          one_click_unsubscribe_url: null,
          precompiled: true,
          simulated: sender.keyType === 'test',
          scheduled_for: null,
        },
        { pdf: { bytes, pages: info.pages }, dailyLimit: limit },
      );
      return { id, reference: req.reference, postage: req.postage ?? 'second' };
    },
  };
}
export type SendUseCases = ReturnType<typeof createSender>;
