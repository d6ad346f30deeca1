// Webhooks: an organisation subscribes a URL to consent events. The kernel outbox feeds a
// subscriber that, in the transaction that advances its cursor, writes one delivery per
// subscribed webhook and queues its job — an event is never lost or doubled. A delivery POSTs
// the reference implementation's envelope { deliveryID, webhookID, timestamp, type, data },
// signed like it: `X-ConsentBB-Signature: t=<unix seconds>,sig=<hex HMAC-SHA256(secretKey,
// "<t>.<body>")>` (also sent as X-IGrant-Signature); it is retried with backoff until a 2xx.
import { createHmac, randomUUID } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';
import type { StoredEvent } from '../../kernel/events.js';
import type { Jobs } from '../../kernel/jobs.js';
import { randomToken, seal, unseal } from '../../kernel/crypto.js';
import type { Ctx } from './context.js';
import { page } from './store.js';
import { badRequest, notFound } from './errors.js';

export const DELIVERY_QUEUE = 'consent.webhook-delivery';

/** Outbox event → the webhook event type subscribers choose. */
export const WEBHOOK_EVENTS: Record<string, string> = {
  'consent.record.given': 'consent.allowed',
  'consent.record.declined': 'consent.disallowed',
  'consent.record.withdrawn': 'consent.disallowed',
  'consent.record.limited': 'consent.limited',
  'consent.record.expired': 'consent.auto_expiry',
  'consent.record.deleted': 'consent.deleted',
};
export const EVENT_TYPES = [...new Set(Object.values(WEBHOOK_EVENTS))];
const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

export interface WebhookRow {
  id: string;
  organisation_id: string;
  payload_url: string;
  content_type: string;
  subscribed_events: string[];
  disabled: boolean;
  secret_sealed: string;
  skip_ssl_verification: boolean;
  created_at: Date;
}

export const signWebhook = (secret: string, t: string, body: string) =>
  createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');

export interface WebhookInput {
  payloadUrl?: string;
  contentType?: string;
  subscribedEvents?: string[];
  disabled?: boolean;
  secretKey?: string;
  skipSslVerification?: boolean;
}

export function createWebhooks(ctx: Ctx, jobs: Jobs, opts: { timeoutMs?: number; allowHttp?: boolean } = {}) {
  const { db, config, log } = ctx;
  const secretOf = (w: WebhookRow) => unseal(config.encryptionKey, w.secret_sealed);
  const masked = (w: WebhookRow) => `••••${secretOf(w).slice(-4)}`;

  function check(i: WebhookInput, existing?: WebhookRow) {
    const url = i.payloadUrl ?? existing?.payload_url;
    const http = opts.allowHttp ?? !config.publicUrl.startsWith('https:');
    if (!url || url.length > 2000 || !(http ? /^https?:\/\/[^\s/]+/ : /^https:\/\/[^\s/]+/).test(url))
      throw badRequest(`payloadUrl must be a URL starting with https://${http ? ' or http://' : ''}`, 'payloadUrl');
    const type = i.contentType ?? existing?.content_type ?? 'application/json';
    if (!CONTENT_TYPES.includes(type)) throw badRequest(`contentType must be one of ${CONTENT_TYPES.join(', ')}`, 'contentType');
    const events = i.subscribedEvents ?? existing?.subscribed_events ?? EVENT_TYPES;
    if (!Array.isArray(events) || !events.length || events.some((e) => !EVENT_TYPES.includes(e)))
      throw badRequest(`subscribedEvents must name some of ${EVENT_TYPES.join(', ')}`, 'subscribedEvents');
    if (i.secretKey !== undefined && !i.secretKey.startsWith('••••') && (i.secretKey.length < 16 || i.secretKey.length > 200))
      throw badRequest('secretKey must be 16 to 200 characters (or leave it out and one is made for you)', 'secretKey');
    return { url, type, events: [...new Set(events)] };
  }

  return {
    secretOf,
    masked,
    async create(organisationId: string, i: WebhookInput): Promise<{ webhook: WebhookRow; secret: string }> {
      const { url, type, events } = check(i);
      const secret = i.secretKey && !i.secretKey.startsWith('••••') ? i.secretKey : randomToken(24);
      const { rows } = await db.query<WebhookRow>(
        `INSERT INTO consent.webhooks (id, organisation_id, payload_url, content_type, subscribed_events, disabled, secret_sealed, skip_ssl_verification)
         VALUES ($1, $2, $3, $4, $5, $6, $7, false) RETURNING *`,
        [randomUUID(), organisationId, url, type, events, i.disabled ?? false, seal(config.encryptionKey, secret)],
      );
      return { webhook: rows[0], secret };
    },
    async get(organisationId: string, id: string): Promise<WebhookRow> {
      const { rows } = await db.query<WebhookRow>(
        'SELECT * FROM consent.webhooks WHERE id = $1 AND organisation_id = $2 AND deleted_at IS NULL',
        [id, organisationId],
      );
      if (!rows[0]) throw notFound('Webhook', id);
      return rows[0];
    },
    async update(organisationId: string, id: string, i: WebhookInput): Promise<WebhookRow> {
      const existing = await this.get(organisationId, id);
      const { url, type, events } = check(i, existing);
      const newSecret = i.secretKey && !i.secretKey.startsWith('••••') ? seal(config.encryptionKey, i.secretKey) : existing.secret_sealed;
      const { rows } = await db.query<WebhookRow>(
        `UPDATE consent.webhooks SET payload_url = $2, content_type = $3, subscribed_events = $4, disabled = $5, secret_sealed = $6, updated_at = now()
          WHERE id = $1 RETURNING *`,
        [id, url, type, events, i.disabled ?? existing.disabled, newSecret],
      );
      return rows[0];
    },
    async remove(organisationId: string, id: string): Promise<void> {
      await this.get(organisationId, id);
      await db.query('UPDATE consent.webhooks SET deleted_at = now(), disabled = true WHERE id = $1', [id]);
    },
    async list(organisationId: string, offset: number, limit: number) {
      const [list, count] = await Promise.all([
        db.query<WebhookRow>(
          `SELECT * FROM consent.webhooks WHERE organisation_id = $1 AND deleted_at IS NULL ORDER BY created_at, id ${page(offset, limit)}`,
          [organisationId],
        ),
        db.query<{ n: number }>('SELECT count(*)::int AS n FROM consent.webhooks WHERE organisation_id = $1 AND deleted_at IS NULL', [
          organisationId,
        ]),
      ]);
      return { rows: list.rows, total: count.rows[0].n };
    },
    async deliveries(organisationId: string, webhookId: string) {
      await this.get(organisationId, webhookId);
      const { rows } = await db.query('SELECT * FROM consent.webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at DESC LIMIT 100', [
        webhookId,
      ]);
      return rows;
    },

    /** Outbox subscriber: a record event becomes a delivery and a job per subscribed webhook. */
    async onEvent(event: StoredEvent, tx: Queryable): Promise<void> {
      const type = WEBHOOK_EVENTS[event.type];
      const p = event.payload;
      if (!type || !p.organisation_id) return;
      const { rows: hooks } = await tx.query<WebhookRow>(
        `SELECT * FROM consent.webhooks WHERE organisation_id = $1 AND NOT disabled AND deleted_at IS NULL AND $2 = ANY(subscribed_events)
            AND created_at <= $3`,
        [p.organisation_id, type, event.created_at],
      );
      for (const w of hooks) {
        const id = randomUUID();
        const body = JSON.stringify({
          deliveryID: id,
          webhookID: w.id,
          timestamp: String(Math.floor(new Date(event.created_at).getTime() / 1000)),
          type,
          data: {
            organisationID: p.organisation_id,
            userID: p.individual_id,
            individualId: p.individual_id,
            consentID: p.record_id,
            consentRecordId: p.record_id,
            purposeID: p.agreement_id,
            dataAgreementId: p.agreement_id,
            serviceId: p.service_id,
            optIn: p.opt_in ?? null,
            status: p.status ?? null,
            attribute: p.attributes ?? [],
            attributes: p.attributes ?? [],
            timestamp: new Date(event.created_at).toISOString(),
          },
        });
        const { rowCount } = await tx.query(
          `INSERT INTO consent.webhook_deliveries (id, webhook_id, event_id, event_type, body) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (webhook_id, event_id) DO NOTHING`,
          [id, w.id, event.id, type, body],
        );
        if (rowCount)
          await jobs.send(
            DELIVERY_QUEUE,
            { deliveryId: id },
            { tx, retryLimit: config.consent.webhookRetryLimit, retryDelay: config.consent.webhookRetryDelaySeconds, retryBackoff: true },
          );
      }
    },

    /** One attempt; throws (so the job is retried with backoff) unless the URL answered 2xx. */
    async deliver(deliveryId: string): Promise<void> {
      const { rows } = await db.query<{ id: string; webhook_id: string; body: string; status: string; attempts: number }>(
        'SELECT id, webhook_id, body, status, attempts FROM consent.webhook_deliveries WHERE id = $1',
        [deliveryId],
      );
      const m = rows[0];
      if (!m || m.status !== 'pending') return;
      const { rows: hooks } = await db.query<WebhookRow>('SELECT * FROM consent.webhooks WHERE id = $1', [m.webhook_id]);
      const w = hooks[0];
      if (!w || w.disabled || (w as any).deleted_at) {
        await db.query(`UPDATE consent.webhook_deliveries SET status = 'failed', last_result = 'webhook disabled' WHERE id = $1`, [m.id]);
        return;
      }
      const t = String(Math.floor(Date.now() / 1000));
      const header = `t=${t},sig=${signWebhook(secretOf(w), t, m.body)}`;
      const form = w.content_type === 'application/x-www-form-urlencoded';
      let status: number | null = null;
      let result: string;
      try {
        const res = await fetch(w.payload_url, {
          method: 'POST',
          body: form ? new URLSearchParams({ payload: m.body }).toString() : m.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
          headers: {
            'content-type': w.content_type,
            'x-consentbb-signature': header,
            'x-igrant-signature': header,
            'user-agent': 'Cityscape-Consent-Webhooks/1',
          },
        });
        await res.arrayBuffer().catch(() => undefined);
        status = res.status;
        result = `${res.status} ${res.statusText}`.trim();
      } catch (err) {
        result = (err as Error).name === 'TimeoutError' ? 'timeout' : String((err as Error).message).slice(0, 200);
      }
      const ok = status !== null && status >= 200 && status < 300;
      const final = !ok && m.attempts + 1 > config.consent.webhookRetryLimit;
      await db.query(
        `UPDATE consent.webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_result = $3,
           status = $4, delivered_at = CASE WHEN $5 THEN now() ELSE delivered_at END WHERE id = $1`,
        [m.id, status, result, ok ? 'delivered' : final ? 'failed' : 'pending', ok],
      );
      if (!ok) {
        log.info({ deliveryId, webhookId: w.id, result }, 'consent webhook delivery failed; will retry');
        throw new Error(`webhook delivery failed: ${result}`);
      }
    },
  };
}
export type Webhooks = ReturnType<typeof createWebhooks>;
