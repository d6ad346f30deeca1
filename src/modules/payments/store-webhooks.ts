// The SQL for webhooks (subscriptions, messages, delivery attempts) and payment links.
import type { Queryable } from '../../kernel/db.js';

export interface WebhookRow {
  id: string;
  service_id: string;
  live: boolean;
  callback_url: string;
  description: string;
  secret_sealed: string;
  subscriptions: string[];
  status: 'active' | 'inactive';
  created_by: string;
  created_at: Date;
}
export interface MessageRow {
  id: string;
  webhook_id: string;
  event_id: number;
  event_type: string;
  resource_id: string;
  resource_type: string;
  body: string;
  status: 'pending' | 'successful' | 'failed' | 'will_not_send';
  attempts: number;
  last_status_code: number | null;
  created_at: Date;
  delivered_at: Date | null;
}
export interface AttemptRow {
  id: number;
  message_id: string;
  at: Date;
  status_code: number | null;
  result: string;
  response_ms: number;
}
export interface LinkRow {
  id: string;
  service_id: string;
  live: boolean;
  slug: string;
  title: string;
  description: string;
  amount: number | null;
  reference_label: string;
  reference_hint: string;
  language: 'en' | 'cy';
  status: 'active' | 'inactive';
  created_by: string;
  created_at: Date;
}

export const webhookStore = {
  async insert(
    db: Queryable,
    w: Pick<WebhookRow, 'service_id' | 'live' | 'callback_url' | 'description' | 'secret_sealed' | 'subscriptions' | 'created_by'>,
  ): Promise<WebhookRow> {
    const { rows } = await db.query<WebhookRow>(
      `INSERT INTO payments.webhooks (service_id, live, callback_url, description, secret_sealed, subscriptions, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [w.service_id, w.live, w.callback_url, w.description, w.secret_sealed, w.subscriptions, w.created_by],
    );
    return rows[0];
  },
  async list(db: Queryable, serviceId: string): Promise<WebhookRow[]> {
    const { rows } = await db.query<WebhookRow>('SELECT * FROM payments.webhooks WHERE service_id = $1 ORDER BY created_at', [serviceId]);
    return rows;
  },
  async get(db: Queryable, id: string): Promise<WebhookRow | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    const { rows } = await db.query<WebhookRow>('SELECT * FROM payments.webhooks WHERE id = $1', [id]);
    return rows[0] ?? null;
  },
  async subscribed(db: Queryable, serviceId: string, live: boolean, eventType: string): Promise<WebhookRow[]> {
    const { rows } = await db.query<WebhookRow>(
      `SELECT * FROM payments.webhooks WHERE service_id = $1 AND live = $2 AND status = 'active' AND $3 = ANY(subscriptions)`,
      [serviceId, live, eventType],
    );
    return rows;
  },
  async setStatus(db: Queryable, id: string, status: WebhookRow['status']): Promise<void> {
    await db.query('UPDATE payments.webhooks SET status = $2 WHERE id = $1', [id, status]);
  },
  /** A message per (webhook, event): a replayed event creates nothing new. */
  async insertMessage(
    db: Queryable,
    m: Pick<MessageRow, 'id' | 'webhook_id' | 'event_id' | 'event_type' | 'resource_id' | 'resource_type' | 'body'>,
  ): Promise<boolean> {
    const r = await db.query(
      `INSERT INTO payments.webhook_messages (id, webhook_id, event_id, event_type, resource_id, resource_type, body)
      VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (webhook_id, event_id) DO NOTHING`,
      [m.id, m.webhook_id, m.event_id, m.event_type, m.resource_id, m.resource_type, m.body],
    );
    return r.rowCount > 0;
  },
  async message(db: Queryable, id: string): Promise<MessageRow | null> {
    const { rows } = await db.query<MessageRow>('SELECT * FROM payments.webhook_messages WHERE id = $1', [id]);
    return rows[0] ?? null;
  },
  async messages(db: Queryable, webhookId: string, limit = 50): Promise<MessageRow[]> {
    const { rows } = await db.query<MessageRow>(
      'SELECT * FROM payments.webhook_messages WHERE webhook_id = $1 ORDER BY created_at DESC, id LIMIT $2',
      [webhookId, limit],
    );
    return rows;
  },
  async recordAttempt(
    db: Queryable,
    messageId: string,
    a: { statusCode: number | null; result: string; ms: number; delivered: boolean; final: boolean },
  ): Promise<void> {
    await db.query('INSERT INTO payments.webhook_attempts (message_id, status_code, result, response_ms) VALUES ($1, $2, $3, $4)', [
      messageId,
      a.statusCode,
      a.result,
      a.ms,
    ]);
    await db.query(
      `UPDATE payments.webhook_messages SET attempts = attempts + 1, last_status_code = $2,
        status = CASE WHEN $3 THEN 'successful' WHEN $4 THEN 'failed' ELSE 'pending' END, delivered_at = CASE WHEN $3 THEN now() ELSE delivered_at END
      WHERE id = $1`,
      [messageId, a.statusCode, a.delivered, a.final],
    );
  },
  async markWillNotSend(db: Queryable, messageId: string): Promise<void> {
    await db.query(`UPDATE payments.webhook_messages SET status = 'will_not_send' WHERE id = $1`, [messageId]);
  },
  async attempts(db: Queryable, messageId: string): Promise<AttemptRow[]> {
    const { rows } = await db.query<AttemptRow>('SELECT * FROM payments.webhook_attempts WHERE message_id = $1 ORDER BY id', [messageId]);
    return rows;
  },
};

export const linkStore = {
  async insert(db: Queryable, l: Omit<LinkRow, 'id' | 'status' | 'created_at'>): Promise<LinkRow> {
    const { rows } = await db.query<LinkRow>(
      `INSERT INTO payments.links (service_id, live, slug, title, description, amount, reference_label, reference_hint, language, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [l.service_id, l.live, l.slug, l.title, l.description, l.amount, l.reference_label, l.reference_hint, l.language, l.created_by],
    );
    return rows[0];
  },
  async bySlug(db: Queryable, slug: string): Promise<LinkRow | null> {
    const { rows } = await db.query<LinkRow>('SELECT * FROM payments.links WHERE slug = $1', [slug]);
    return rows[0] ?? null;
  },
  async list(db: Queryable, serviceId: string): Promise<LinkRow[]> {
    const { rows } = await db.query<LinkRow>('SELECT * FROM payments.links WHERE service_id = $1 ORDER BY created_at DESC', [serviceId]);
    return rows;
  },
  async setStatus(db: Queryable, id: string, serviceId: string, status: LinkRow['status']): Promise<void> {
    await db.query('UPDATE payments.links SET status = $3 WHERE id = $1 AND service_id = $2', [id, serviceId, status]);
  },
};
