// The SQL for Notify's tables. Plain parameterised queries returning plain rows; no rules here.
import type { Queryable } from '../../kernel/db.js';

export type TemplateType = 'email' | 'sms' | 'letter';
export type KeyType = 'live' | 'team' | 'test';

export interface SettingsRow {
  service_id: string;
  email_from: string | null;
  reply_to_email: string | null;
  sms_sender: string | null;
  letter_contact_block: string | null;
  restricted: boolean;
  international_sms: boolean;
  international_letters: boolean;
  rate_limit: number | null;
  email_limit: number | null;
  sms_limit: number | null;
  letter_limit: number | null;
  inbound_number: string | null;
}

export interface TemplateRow {
  id: string;
  service_id: string;
  type: TemplateType;
  name: string;
  subject: string | null;
  body: string;
  letter_contact_block: string | null;
  postage: string | null;
  version: number;
  archived: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date | null;
}

export interface NotificationRow {
  id: string;
  service_id: string;
  api_key_id: string | null;
  key_type: KeyType;
  type: TemplateType;
  template_id: string | null;
  template_version: number | null;
  recipient: string | null;
  normalised_to: string | null;
  reference: string | null;
  status: string;
  subject: string | null;
  body: string;
  address: string[] | null;
  postage: string | null;
  billable_units: number;
  sender: string | null;
  one_click_unsubscribe_url: string | null;
  precompiled: boolean;
  created_by_name: string | null;
  simulated: boolean;
  scheduled_for: Date | null;
  created_at: Date;
  sent_at: Date | null;
  completed_at: Date | null;
  updated_at: Date | null;
  attempts: number;
  attempt_id: string | null;
  lease_until: Date | null;
  next_attempt_at: Date | null;
  provider: string | null;
  provider_reference: string | null;
  provider_response: string | null;
}

export type NewNotification = Pick<
  NotificationRow,
  | 'id'
  | 'service_id'
  | 'api_key_id'
  | 'key_type'
  | 'type'
  | 'template_id'
  | 'template_version'
  | 'recipient'
  | 'normalised_to'
  | 'reference'
  | 'status'
  | 'subject'
  | 'body'
  | 'address'
  | 'postage'
  | 'billable_units'
  | 'sender'
  | 'one_click_unsubscribe_url'
  | 'precompiled'
  | 'created_by_name'
  | 'simulated'
  | 'scheduled_for'
>;

const TEMPLATE_COLS =
  'id, service_id, type, name, subject, body, letter_contact_block, postage, version, archived, created_by, created_at, updated_at';
const N_COLS = `id, service_id, api_key_id, key_type, type, template_id, template_version, recipient, normalised_to, reference, status, subject, body,
  address, postage, billable_units, sender, one_click_unsubscribe_url, precompiled, created_by_name, simulated, scheduled_for, created_at, sent_at,
  completed_at, updated_at, attempts, attempt_id, lease_until, next_attempt_at, provider, provider_reference, provider_response`;

export const FINAL = ['delivered', 'permanent-failure', 'temporary-failure', 'technical-failure', 'validation-failed', 'cancelled'];

export const store = {
  // Settings
  async settings(db: Queryable, serviceId: string): Promise<SettingsRow | null> {
    const { rows } = await db.query<SettingsRow>('SELECT * FROM notify.services WHERE service_id = $1', [serviceId]);
    return rows[0] ?? null;
  },
  async saveSettings(db: Queryable, serviceId: string, s: Omit<SettingsRow, 'service_id'>): Promise<void> {
    await db.query(
      `INSERT INTO notify.services (service_id, email_from, reply_to_email, sms_sender, letter_contact_block, restricted, international_sms,
         international_letters, rate_limit, email_limit, sms_limit, letter_limit, inbound_number)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (service_id) DO UPDATE SET email_from = $2, reply_to_email = $3, sms_sender = $4, letter_contact_block = $5, restricted = $6,
         international_sms = $7, international_letters = $8, rate_limit = $9, email_limit = $10, sms_limit = $11, letter_limit = $12,
         inbound_number = $13, updated_at = now()`,
      [
        serviceId,
        s.email_from,
        s.reply_to_email,
        s.sms_sender,
        s.letter_contact_block,
        s.restricted,
        s.international_sms,
        s.international_letters,
        s.rate_limit,
        s.email_limit,
        s.sms_limit,
        s.letter_limit,
        s.inbound_number,
      ],
    );
  },
  async serviceByInboundNumber(db: Queryable, number: string): Promise<string | null> {
    const { rows } = await db.query<{ service_id: string }>('SELECT service_id FROM notify.services WHERE inbound_number = $1', [number]);
    return rows[0]?.service_id ?? null;
  },

  // Templates
  async insertTemplate(
    db: Queryable,
    t: Pick<TemplateRow, 'service_id' | 'type' | 'name' | 'subject' | 'body' | 'letter_contact_block' | 'postage' | 'created_by'> & {
      id?: string;
    },
  ): Promise<TemplateRow> {
    const { rows } = await db.query<TemplateRow>(
      `INSERT INTO notify.templates (id, service_id, type, name, subject, body, letter_contact_block, postage, created_by)
       VALUES (coalesce($9::uuid, gen_random_uuid()), $1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${TEMPLATE_COLS}`,
      [t.service_id, t.type, t.name, t.subject, t.body, t.letter_contact_block, t.postage, t.created_by, t.id ?? null],
    );
    await db.query(
      `INSERT INTO notify.template_versions (template_id, version, name, subject, body, letter_contact_block, postage, created_by, created_at)
       VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8)`,
      [rows[0].id, t.name, t.subject, t.body, t.letter_contact_block, t.postage, t.created_by, rows[0].created_at],
    );
    return rows[0];
  },
  /** A new version; returns null when the template is not the service's. */
  async updateTemplate(
    db: Queryable,
    serviceId: string,
    id: string,
    t: Pick<TemplateRow, 'name' | 'subject' | 'body' | 'letter_contact_block' | 'postage'>,
    by: string,
  ): Promise<TemplateRow | null> {
    const { rows } = await db.query<TemplateRow>(
      `UPDATE notify.templates SET name = $3, subject = $4, body = $5, letter_contact_block = $6, postage = $7, version = version + 1,
         updated_at = now(), created_by = $8
        WHERE id = $1 AND service_id = $2 RETURNING ${TEMPLATE_COLS}`,
      [id, serviceId, t.name, t.subject, t.body, t.letter_contact_block, t.postage, by],
    );
    if (!rows[0]) return null;
    await db.query(
      `INSERT INTO notify.template_versions (template_id, version, name, subject, body, letter_contact_block, postage, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, rows[0].version, t.name, t.subject, t.body, t.letter_contact_block, t.postage, by, rows[0].updated_at],
    );
    return rows[0];
  },
  async archiveTemplate(db: Queryable, serviceId: string, id: string): Promise<boolean> {
    const r = await db.query('UPDATE notify.templates SET archived = true, updated_at = now() WHERE id = $1 AND service_id = $2', [
      id,
      serviceId,
    ]);
    return r.rowCount > 0;
  },
  async template(db: Queryable, serviceId: string, id: string): Promise<TemplateRow | null> {
    const { rows } = await db.query<TemplateRow>(`SELECT ${TEMPLATE_COLS} FROM notify.templates WHERE id = $1 AND service_id = $2`, [
      id,
      serviceId,
    ]);
    return rows[0] ?? null;
  },
  /** One version of a template, shaped like the template row (created_at of the template, updated_at of the version). */
  async templateVersion(db: Queryable, serviceId: string, id: string, version: number): Promise<TemplateRow | null> {
    const { rows } = await db.query<TemplateRow>(
      `SELECT t.id, t.service_id, t.type, v.name, v.subject, v.body, v.letter_contact_block, v.postage, v.version, t.archived, v.created_by,
              t.created_at, CASE WHEN v.version = 1 THEN NULL ELSE v.created_at END AS updated_at
         FROM notify.templates t JOIN notify.template_versions v ON v.template_id = t.id
        WHERE t.id = $1 AND t.service_id = $2 AND v.version = $3`,
      [id, serviceId, version],
    );
    return rows[0] ?? null;
  },
  async templateVersions(db: Queryable, serviceId: string, id: string): Promise<TemplateRow[]> {
    const { rows } = await db.query<TemplateRow>(
      `SELECT t.id, t.service_id, t.type, v.name, v.subject, v.body, v.letter_contact_block, v.postage, v.version, t.archived, v.created_by,
              t.created_at, v.created_at AS updated_at
         FROM notify.templates t JOIN notify.template_versions v ON v.template_id = t.id
        WHERE t.id = $1 AND t.service_id = $2 ORDER BY v.version DESC`,
      [id, serviceId],
    );
    return rows;
  },
  async listTemplates(db: Queryable, serviceId: string, type?: string): Promise<TemplateRow[]> {
    const { rows } = await db.query<TemplateRow>(
      `SELECT ${TEMPLATE_COLS} FROM notify.templates WHERE service_id = $1 AND NOT archived AND ($2::text IS NULL OR type = $2)
        ORDER BY created_at DESC, id`,
      [serviceId, type ?? null],
    );
    return rows;
  },

  // Notifications
  async insertNotification(db: Queryable, n: NewNotification): Promise<Date> {
    const { rows } = await db.query<{ created_at: Date }>(
      `INSERT INTO notify.notifications (id, service_id, api_key_id, key_type, type, template_id, template_version, recipient, normalised_to,
         reference, status, subject, body, address, postage, billable_units, sender, one_click_unsubscribe_url, precompiled, created_by_name,
         simulated, scheduled_for)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING created_at`,
      [
        n.id,
        n.service_id,
        n.api_key_id,
        n.key_type,
        n.type,
        n.template_id,
        n.template_version,
        n.recipient,
        n.normalised_to,
        n.reference,
        n.status,
        n.subject,
        n.body,
        n.address ? JSON.stringify(n.address) : null,
        n.postage,
        n.billable_units,
        n.sender,
        n.one_click_unsubscribe_url,
        n.precompiled,
        n.created_by_name,
        n.simulated,
        n.scheduled_for,
      ],
    );
    return rows[0].created_at;
  },
  async notification(db: Queryable, serviceId: string, id: string): Promise<NotificationRow | null> {
    const { rows } = await db.query<NotificationRow>(`SELECT ${N_COLS} FROM notify.notifications WHERE id = $1 AND service_id = $2`, [
      id,
      serviceId,
    ]);
    return rows[0] ?? null;
  },
  /** An email, locked, for applying a report mailed back about it (bounces.ts). */
  async emailForReport(db: Queryable, id: string) {
    return (
      (
        await db.query<{ service_id: string; status: string; attempt_id: string | null }>(
          `SELECT service_id, status, attempt_id FROM notify.notifications WHERE id = $1 AND type = 'email' FOR UPDATE`,
          [id],
        )
      ).rows[0] ?? null
    );
  },
  /** Keeps a report mailed back about an email; the same report again is kept once. */
  async insertEmailReport(
    db: Queryable,
    r: {
      notification_id: string;
      service_id: string;
      kind: string;
      action: string;
      dsn_status: string;
      diagnostic: string | null;
      recipient: string | null;
      new_status: string | null;
    },
  ) {
    await db.query(
      `INSERT INTO notify.email_reports (notification_id, service_id, kind, action, dsn_status, diagnostic, recipient, new_status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (notification_id, kind, action, dsn_status) DO NOTHING`,
      [r.notification_id, r.service_id, r.kind, r.action, r.dsn_status, r.diagnostic, r.recipient, r.new_status],
    );
  },
  /** Bounces, delays and complaints mailed back about one email (bounces.ts), oldest first. */
  async emailReports(db: Queryable, serviceId: string, notificationId: string) {
    return (
      await db.query<{
        kind: string;
        action: string;
        dsn_status: string;
        diagnostic: string | null;
        new_status: string | null;
        received_at: Date;
      }>(
        `SELECT kind, action, dsn_status, diagnostic, new_status, received_at FROM notify.email_reports
        WHERE service_id = $1 AND notification_id = $2 ORDER BY received_at, id`,
        [serviceId, notificationId],
      )
    ).rows;
  },
  async notificationById(db: Queryable, id: string): Promise<NotificationRow | null> {
    const { rows } = await db.query<NotificationRow>(`SELECT ${N_COLS} FROM notify.notifications WHERE id = $1`, [id]);
    return rows[0] ?? null;
  },
  /** Newest first; `olderThan` is a notification id of the same service. */
  async listNotifications(
    db: Queryable,
    f: {
      serviceId: string;
      keyType?: KeyType | null;
      types?: string[];
      statuses?: string[];
      reference?: string | null;
      olderThan?: string | null;
      search?: string | null;
      limit: number;
      offset?: number;
    },
  ): Promise<NotificationRow[]> {
    const { rows } = await db.query<NotificationRow>(
      `SELECT ${N_COLS} FROM notify.notifications n
        WHERE service_id = $1
          AND ($2::text IS NULL OR key_type = $2)
          AND (cardinality($3::text[]) = 0 OR type = ANY($3))
          AND (cardinality($4::text[]) = 0 OR status = ANY($4))
          AND ($5::text IS NULL OR reference = $5)
          AND ($6::uuid IS NULL OR (created_at, id) < (SELECT o.created_at, o.id FROM notify.notifications o WHERE o.id = $6 AND o.service_id = $1))
          AND ($7::text IS NULL OR lower(recipient) LIKE $7 OR normalised_to LIKE $7 OR lower(reference) LIKE $7 OR address::text ILIKE $7)
        ORDER BY created_at DESC, id DESC LIMIT $8 OFFSET $9`,
      [
        f.serviceId,
        f.keyType ?? null,
        f.types ?? [],
        f.statuses ?? [],
        f.reference ?? null,
        f.olderThan ?? null,
        f.search ? `%${f.search.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%` : null,
        f.limit,
        f.offset ?? 0,
      ],
    );
    return rows;
  },
  /** What the development outbox kept (provider 'outbox'), for these services, newest first. */
  async outboxNotifications(db: Queryable, serviceIds: string[], limit: number, offset: number): Promise<NotificationRow[]> {
    const { rows } = await db.query<NotificationRow>(
      `SELECT ${N_COLS} FROM notify.notifications n WHERE service_id = ANY($1::uuid[]) AND provider = 'outbox'
        ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
      [serviceIds, limit, offset],
    );
    return rows;
  },
  async notificationExists(db: Queryable, serviceId: string, id: string): Promise<boolean> {
    const { rows } = await db.query('SELECT 1 FROM notify.notifications WHERE id = $1 AND service_id = $2', [id, serviceId]);
    return rows.length > 0;
  },
  /** Sends counted against today's limits (UK day), per channel; test keys do not count. */
  async usage(
    db: Queryable,
    serviceId: string,
    days: number,
  ): Promise<Array<{ day: string; type: string; key_type: string; status: string; n: number; units: number }>> {
    const { rows } = await db.query<any>(
      `SELECT to_char(created_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD') AS day, type, key_type, status, count(*)::int AS n, sum(billable_units)::int AS units
         FROM notify.notifications WHERE service_id = $1 AND created_at >= now() - make_interval(days => $2)
        GROUP BY 1, 2, 3, 4 ORDER BY 1 DESC`,
      [serviceId, days],
    );
    return rows;
  },
  async letterFile(db: Queryable, id: string): Promise<{ pdf: Uint8Array; pages: number } | null> {
    const { rows } = await db.query<{ pdf: Uint8Array; pages: number }>(
      'SELECT pdf, pages FROM notify.letter_files WHERE notification_id = $1',
      [id],
    );
    return rows[0] ?? null;
  },
  async insertLetterFile(db: Queryable, id: string, pdf: Uint8Array, pages: number): Promise<void> {
    await db.query('INSERT INTO notify.letter_files (notification_id, pdf, pages) VALUES ($1, $2, $3)', [id, Buffer.from(pdf), pages]);
  },

  // Team members and guest list
  async allowed(
    db: Queryable,
    serviceId: string,
  ): Promise<Array<{ id: string; kind: 'member' | 'guest'; name: string; email: string | null; phone: string | null }>> {
    const { rows } = await db.query<any>(
      'SELECT id, kind, name, email, phone FROM notify.recipients_allowed WHERE service_id = $1 ORDER BY kind, created_at',
      [serviceId],
    );
    return rows;
  },
  async addAllowed(
    db: Queryable,
    serviceId: string,
    a: { kind: 'member' | 'guest'; name: string; email: string | null; phone: string | null },
  ): Promise<void> {
    await db.query('INSERT INTO notify.recipients_allowed (service_id, kind, name, email, phone) VALUES ($1, $2, $3, $4, $5)', [
      serviceId,
      a.kind,
      a.name,
      a.email,
      a.phone,
    ]);
  },
  async removeAllowed(db: Queryable, serviceId: string, id: string): Promise<boolean> {
    const r = await db.query('DELETE FROM notify.recipients_allowed WHERE service_id = $1 AND id = $2', [serviceId, id]);
    return r.rowCount > 0;
  },

  // Callbacks
  async callback(db: Queryable, serviceId: string, kind: string): Promise<{ url: string; bearer_token_sealed: string } | null> {
    const { rows } = await db.query<any>('SELECT url, bearer_token_sealed FROM notify.callbacks WHERE service_id = $1 AND kind = $2', [
      serviceId,
      kind,
    ]);
    return rows[0] ?? null;
  },
  async saveCallback(db: Queryable, serviceId: string, kind: string, url: string, sealed: string): Promise<void> {
    await db.query(
      `INSERT INTO notify.callbacks (service_id, kind, url, bearer_token_sealed) VALUES ($1, $2, $3, $4)
       ON CONFLICT (service_id, kind) DO UPDATE SET url = $3, bearer_token_sealed = $4, updated_at = now()`,
      [serviceId, kind, url, sealed],
    );
  },
  async removeCallback(db: Queryable, serviceId: string, kind: string): Promise<void> {
    await db.query('DELETE FROM notify.callbacks WHERE service_id = $1 AND kind = $2', [serviceId, kind]);
  },

  // Received text messages
  async insertReceivedText(
    db: Queryable,
    t: { service_id: string; notify_number: string; user_number: string; content: string; provider_reference: string | null },
  ) {
    const { rows } = await db.query<{ id: string; created_at: Date }>(
      `INSERT INTO notify.received_texts (service_id, notify_number, user_number, content, provider_reference) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, created_at`,
      [t.service_id, t.notify_number, t.user_number, t.content, t.provider_reference],
    );
    return rows[0];
  },
  async receivedTexts(db: Queryable, serviceId: string, olderThan: string | null, limit: number) {
    const { rows } = await db.query<{
      id: string;
      service_id: string;
      notify_number: string;
      user_number: string;
      content: string;
      created_at: Date;
    }>(
      `SELECT id, service_id, notify_number, user_number, content, created_at FROM notify.received_texts
        WHERE service_id = $1 AND ($2::uuid IS NULL OR (created_at, id) < (SELECT o.created_at, o.id FROM notify.received_texts o WHERE o.id = $2 AND o.service_id = $1))
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [serviceId, olderThan, limit],
    );
    return rows;
  },

  // Files sent by link
  async insertDocument(
    db: Queryable,
    d: {
      id: string;
      service_id: string;
      filename: string | null;
      mime_type: string;
      content: Buffer;
      key_hash: string;
      confirm_email: boolean;
      recipient_hash: string | null;
      retention_days: number;
    },
  ) {
    await db.query(
      `INSERT INTO notify.documents (id, service_id, filename, mime_type, content, key_hash, confirm_email, recipient_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(days => $9))`,
      [d.id, d.service_id, d.filename, d.mime_type, d.content, d.key_hash, d.confirm_email, d.recipient_hash, d.retention_days],
    );
  },
  async document(db: Queryable, serviceId: string, id: string) {
    const { rows } = await db.query<{
      id: string;
      filename: string | null;
      mime_type: string;
      content: Uint8Array;
      key_hash: string;
      confirm_email: boolean;
      recipient_hash: string | null;
    }>(
      `SELECT id, filename, mime_type, content, key_hash, confirm_email, recipient_hash FROM notify.documents
        WHERE id = $1 AND service_id = $2 AND expires_at > now()`,
      [id, serviceId],
    );
    return rows[0] ?? null;
  },
};
