// Notify's use cases beyond accepting a send (send.ts): reading notifications and templates as
// the API shows them, previews, template authoring with versions, team and guest list,
// callbacks, received text messages, usage — and sending on behalf of other modules.
import type { Kernel } from '../../kernel/module.js';
import { seal, sha256 } from '../../kernel/crypto.js';
import type { Queryable } from '../../kernel/db.js';
import { BadRequest } from '../../kernel/errors.js';
import { badRequest, noResult, NotifyError } from './errors.js';
import { fillAll, normalise } from './content/placeholders.js';
import { bodyHtml } from './content/markdown.js';
import { smsBody } from './content/sms.js';
import { normaliseEmail, normalisePhoneLoose } from './content/recipients.js';
import { internalStatuses, notificationJson, receivedTextJson, templateJson } from './representation.js';
import { RECEIVED_TEXT_EVENT, type Callbacks } from './callbacks.js';
import type { Delivery } from './delivery.js';
import type { Profiles } from './profiles.js';
import type { Sender, SendUseCases } from './send.js';
import { store, type KeyType, type TemplateRow, type TemplateType } from './store.js';
import { UUID, type ListQuery } from './validate.js';

export const PAGE_SIZE = 250;

/** What the audit log keeps of a template: what it says, not who may have been sent it. */
const templateAudit = (t: TemplateRow) => ({ id: t.id, type: t.type, name: t.name, version: t.version, subject: t.subject, body: t.body });

/** Who changed something in the console, for the audit log (written in the change's transaction). */
export interface AuditedBy {
  actor: string; // 'staff:<email>', as the catalogue writes it
  organisationId: string | null;
}

export interface TemplateInput {
  /** A chosen id (another module's well-known template); a new one by default. */
  id?: string;
  type: TemplateType;
  name: string;
  subject?: string | null;
  body: string;
  letter_contact_block?: string | null;
  postage?: string | null;
}

export function createNotifyService(k: Kernel, deps: { profiles: Profiles; send: SendUseCases; delivery: Delivery; callbacks: Callbacks }) {
  const { db, config } = k;
  const { profiles, send, delivery } = deps;

  /** A change and, when someone is named, its audit entry: one transaction. */
  async function audited<T>(
    by: AuditedBy | undefined,
    what: { action: string; subject: string; before?: unknown },
    change: (tx: Queryable) => Promise<T>,
    after: (result: T) => unknown = (r) => r,
  ): Promise<T> {
    return db.transaction(async (tx) => {
      const result = await change(tx);
      if (by)
        await k.audit.record(tx, {
          actor: by.actor,
          action: `notify.${what.action}`,
          subject: what.subject,
          organisationId: by.organisationId,
          before: what.before ?? null,
          after: after(result),
        });
      return result;
    });
  }
  const base = `${config.publicUrl}/notify`;

  const contactBlockOf = async (serviceId: string) => (await profiles.get(serviceId)).settings.letter_contact_block;

  function checkTemplate(input: TemplateInput): void {
    const fields: Array<{ field: string; message: string }> = [];
    if (!input.name?.trim()) fields.push({ field: 'name', message: 'Enter a template name' });
    if (input.type !== 'sms' && !input.subject?.trim())
      fields.push({ field: 'subject', message: input.type === 'email' ? 'Enter a subject line' : 'Enter a main heading' });
    if (!input.body?.trim()) fields.push({ field: 'body', message: 'Enter the message' });
    if (input.postage && !['first', 'second', 'economy'].includes(input.postage))
      fields.push({ field: 'postage', message: 'Choose first, second or economy class' });
    if (fields.length) throw new BadRequest(fields[0].message, fields);
  }

  return {
    send,
    base,

    // Reading, as the API shows it
    async notification(serviceId: string, id: string) {
      const n = await store.notification(db, serviceId, id);
      if (!n) throw noResult();
      return n;
    },
    emailReports: (serviceId: string, id: string) => store.emailReports(db, serviceId, id),
    notificationJson: (n: Parameters<typeof notificationJson>[0]) => notificationJson(n, base),
    async listNotifications(serviceId: string, keyType: KeyType, q: ListQuery) {
      const rows = await store.listNotifications(db, {
        serviceId,
        keyType,
        types: q.template_type,
        statuses: internalStatuses(q.status),
        reference: q.reference,
        olderThan: q.older_than,
        limit: PAGE_SIZE,
      });
      const params = new URLSearchParams();
      for (const t of q.template_type) params.append('template_type', t);
      for (const s of q.status) params.append('status', s);
      if (q.reference) params.set('reference', q.reference);
      const current = new URLSearchParams(params);
      if (q.older_than) current.set('older_than', q.older_than);
      const links: { current: string; next?: string } = { current: `${base}/v2/notifications${current.size ? `?${current}` : ''}` };
      if (rows.length) {
        params.set('older_than', rows[rows.length - 1].id);
        links.next = `${base}/v2/notifications?${params}`;
      }
      return { notifications: rows.map((n) => notificationJson(n, base)), links };
    },
    async letterPdf(serviceId: string, id: string): Promise<Uint8Array> {
      const n = await store.notification(db, serviceId, id);
      if (!n) throw noResult();
      if (n.type !== 'letter') throw new NotifyError(400, 'ValidationError', 'Notification is not a letter');
      if (n.status === 'virus-scan-failed') throw badRequest('File did not pass the virus scan');
      if (n.status === 'technical-failure' || n.status === 'validation-failed')
        throw badRequest(`PDF not available for letters in ${n.status}`);
      return (await delivery.letterPdf(n)).pdf;
    },

    // Templates
    async template(serviceId: string, id: string, version?: number): Promise<TemplateRow> {
      const t = version === undefined ? await store.template(db, serviceId, id) : await store.templateVersion(db, serviceId, id, version);
      if (!t) throw noResult();
      return t;
    },
    async templateJson(t: TemplateRow) {
      return templateJson(t, await contactBlockOf(t.service_id));
    },
    async templates(serviceId: string, type: string | null) {
      const contact = await contactBlockOf(serviceId);
      return (await store.listTemplates(db, serviceId, type ?? undefined)).map((t) => templateJson(t, contact));
    },
    templateVersions: (serviceId: string, id: string) => store.templateVersions(db, serviceId, id),
    /** Notify's preview: the body with placeholders filled in, the subject, and email HTML. */
    preview(t: TemplateRow, personalisation: Record<string, unknown>) {
      const filled = fillAll({ subject: t.type === 'sms' ? null : t.subject, body: t.body }, normalise(personalisation), t.type);
      if (filled.missing.length) throw badRequest(`Missing personalisation: ${filled.missing.join(', ')}`);
      const body = t.type === 'sms' ? smsBody(filled.body) : filled.body;
      return {
        id: t.id,
        type: t.type,
        version: t.version,
        body,
        subject: filled.subject,
        html: t.type === 'email' ? bodyHtml(body) : null,
        postage: t.type === 'letter' ? (t.postage ?? 'second') : null,
      };
    },
    async createTemplate(serviceId: string, input: TemplateInput, by: string, audit?: AuditedBy): Promise<TemplateRow> {
      checkTemplate(input);
      return audited(
        audit,
        { action: 'template.create', subject: `notify.service:${serviceId}` },
        (tx) =>
          store.insertTemplate(tx, {
            id: input.id,
            service_id: serviceId,
            type: input.type,
            name: input.name.trim(),
            subject: input.type === 'sms' ? null : input.subject!.trim(),
            body: input.body,
            letter_contact_block: input.type === 'letter' ? (input.letter_contact_block ?? null) : null,
            postage: input.type === 'letter' ? (input.postage ?? 'second') : null,
            created_by: by,
          }),
        templateAudit,
      );
    },
    async updateTemplate(
      serviceId: string,
      id: string,
      input: Omit<TemplateInput, 'type'>,
      by: string,
      audit?: AuditedBy,
    ): Promise<TemplateRow> {
      const current = await store.template(db, serviceId, id);
      if (!current) throw noResult();
      checkTemplate({ ...input, type: current.type });
      const t = await audited(
        audit,
        { action: 'template.update', subject: `notify.service:${serviceId}`, before: templateAudit(current) },
        (tx) =>
          store.updateTemplate(
            tx,
            serviceId,
            id,
            {
              name: input.name.trim(),
              subject: current.type === 'sms' ? null : input.subject!.trim(),
              body: input.body,
              letter_contact_block: current.type === 'letter' ? (input.letter_contact_block ?? null) : null,
              postage: current.type === 'letter' ? (input.postage ?? current.postage) : null,
            },
            by,
          ),
        (r) => (r ? templateAudit(r) : null),
      );
      if (!t) throw noResult();
      await send.forgetTemplate(id);
      return t;
    },
    async archiveTemplate(serviceId: string, id: string) {
      const r = await store.archiveTemplate(db, serviceId, id);
      await send.forgetTemplate(id);
      return r;
    },

    // Received text messages
    async receivedTexts(serviceId: string, olderThan: string | null) {
      const rows = await store.receivedTexts(db, serviceId, olderThan, PAGE_SIZE);
      const links: { current: string; next?: string } = {
        current: `${base}/v2/received-text-messages${olderThan ? `?older_than=${olderThan}` : ''}`,
      };
      if (rows.length) links.next = `${base}/v2/received-text-messages?older_than=${rows[rows.length - 1].id}`;
      return { received_text_messages: rows.map(receivedTextJson), links };
    },
    /** A text message arriving on a service's inbound number (from the SMS provider). */
    async receiveText(input: {
      notifyNumber: string;
      userNumber: string;
      content: string;
      providerReference?: string | null;
    }): Promise<{ id: string } | null> {
      const serviceId = await store.serviceByInboundNumber(db, input.notifyNumber);
      if (!serviceId) return null;
      return db.transaction(async (tx) => {
        const row = await store.insertReceivedText(tx, {
          service_id: serviceId,
          notify_number: input.notifyNumber,
          user_number: normalisePhoneLoose(input.userNumber),
          content: input.content,
          provider_reference: input.providerReference ?? null,
        });
        const text = receivedTextJson({
          ...row,
          service_id: serviceId,
          notify_number: input.notifyNumber,
          user_number: normalisePhoneLoose(input.userNumber),
          content: input.content,
        });
        await k.events.append(tx, {
          stream: `notify.received_text:${row.id}`,
          type: RECEIVED_TEXT_EVENT,
          payload: {
            service_id: serviceId,
            text: {
              ...text,
              date_received: text.created_at,
              source_number: text.user_number,
              destination_number: text.notify_number,
              message: text.content,
            },
          },
        });
        return { id: row.id };
      });
    },

    // Files sent by link
    async document(serviceId: string, id: string, key: string) {
      if (!UUID.test(serviceId) || !UUID.test(id) || !key) return null;
      const d = await store.document(db, serviceId, id);
      return d && d.key_hash === sha256(key) ? d : null;
    },
    documentEmailMatches: (d: { recipient_hash: string | null }, email: string) => d.recipient_hash === sha256(normaliseEmail(email)),

    // Team members and guest list
    allowed: (serviceId: string) => store.allowed(db, serviceId),
    async addAllowed(
      serviceId: string,
      a: { kind: 'member' | 'guest'; name: string; email: string | null; phone: string | null },
      audit?: AuditedBy,
    ) {
      const row = { ...a, email: a.email ? normaliseEmail(a.email) : null, phone: a.phone ? normalisePhoneLoose(a.phone) : null };
      await audited(
        audit,
        { action: 'team.add', subject: `notify.service:${serviceId}` },
        (tx) => store.addAllowed(tx, serviceId, row),
        () => row,
      );
      await profiles.invalidate(serviceId);
    },
    async removeAllowed(serviceId: string, id: string, audit?: AuditedBy) {
      const before = (await store.allowed(db, serviceId)).find((r) => r.id === id);
      await audited(
        audit,
        { action: 'team.remove', subject: `notify.service:${serviceId}`, before },
        (tx) => store.removeAllowed(tx, serviceId, id),
        () => null,
      );
      await profiles.invalidate(serviceId);
    },

    // Settings, callbacks, usage
    settings: (serviceId: string) => profiles.get(serviceId),
    async saveSettings(serviceId: string, s: Parameters<typeof store.saveSettings>[2], audit?: AuditedBy) {
      const before = (await profiles.get(serviceId)).settings;
      await audited(audit, { action: 'settings.update', subject: `notify.service:${serviceId}`, before }, (tx) =>
        store.saveSettings(tx, serviceId, s).then(() => s),
      );
      await profiles.invalidate(serviceId);
    },
    /** Set (url and token) or remove (url '') a callback; the token itself never goes in the audit log. */
    async saveCallback(serviceId: string, kind: 'delivery_status' | 'inbound_sms', url: string, token: string, audit?: AuditedBy) {
      await audited(
        audit,
        { action: url ? 'callback.save' : 'callback.remove', subject: `notify.service:${serviceId}` },
        (tx) =>
          url ? store.saveCallback(tx, serviceId, kind, url, seal(config.encryptionKey, token)) : store.removeCallback(tx, serviceId, kind),
        () => ({ kind, url: url || null }),
      );
    },
    callbacks: deps.callbacks,
    callback: (serviceId: string, kind: 'delivery_status' | 'inbound_sms') => store.callback(db, serviceId, kind),
    usage: (serviceId: string, days = 7) => store.usage(db, serviceId, days),
    /** Messages the development outbox kept instead of sending (admin-outbox.ts). */
    outbox: (serviceIds: string[], f: { limit: number; offset: number }) => store.outboxNotifications(db, serviceIds, f.limit, f.offset),
    search: (serviceId: string, f: { types?: string[]; statuses?: string[]; q?: string | null; limit: number; offset: number }) =>
      store.listNotifications(db, { serviceId, types: f.types, statuses: f.statuses, search: f.q, limit: f.limit, offset: f.offset }),

    /**
     * For other Cityscape modules: send from one of a service's templates as the service itself
     * (a live send with no API key; not rate limited; trial mode does not apply).
     */
    async sendEmail(
      serviceId: string,
      input: { templateId: string; to: string; personalisation?: Record<string, unknown>; reference?: string },
    ) {
      return send.email(internal(serviceId), {
        template_id: input.templateId,
        email_address: input.to,
        personalisation: input.personalisation,
        reference: input.reference,
      });
    },
    async sendSms(
      serviceId: string,
      input: { templateId: string; to: string; personalisation?: Record<string, unknown>; reference?: string },
    ) {
      return send.sms(internal(serviceId), {
        template_id: input.templateId,
        phone_number: input.to,
        personalisation: input.personalisation,
        reference: input.reference,
      });
    },
    async sendLetter(serviceId: string, input: { templateId: string; personalisation: Record<string, unknown>; reference?: string }) {
      return send.letter(internal(serviceId), {
        template_id: input.templateId,
        personalisation: input.personalisation,
        reference: input.reference,
      });
    },
  };
}

const internal = (serviceId: string): Sender => ({ serviceId, keyId: null, keyType: 'live', internal: true });

export type NotifyService = ReturnType<typeof createNotifyService>;
