// Webhooks: services subscribe a callback URL to payment event types. The kernel outbox feeds
// a subscriber that, in the same transaction as it advances its cursor, writes one message per
// subscribed webhook and queues its delivery job — so an event is never lost or doubled across
// restarts. Deliveries POST the message with `Pay-Signature` (lower-case hex HMAC-SHA256 of the
// exact body, keyed with the webhook's signing secret) and are retried with backoff until a 2xx.
import { createHmac } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';
import type { StoredEvent } from '../../kernel/events.js';
import type { Jobs } from '../../kernel/jobs.js';
import { BadRequest } from '../../kernel/errors.js';
import { randomToken, seal, unseal } from '../../kernel/crypto.js';
import { externalId, WEBHOOK_EVENT_TYPES, type Ctx } from './context.js';
import { store } from './store.js';
import { webhookStore, type WebhookRow } from './store-webhooks.js';
import { paymentSearchJson } from './representation.js';
import { validUrl } from './validation.js';

export const DELIVERY_QUEUE = 'payments.webhook-delivery';

export const signature = (secret: string, body: string) => createHmac('sha256', secret).update(body, 'utf8').digest('hex');

export function createWebhooks(ctx: Ctx, jobs: Jobs, opts: { retryLimit: number; retryDelaySeconds: number; timeoutMs?: number }) {
  const { db, config, log } = ctx;
  const secretOf = (w: WebhookRow) => unseal(config.encryptionKey, w.secret_sealed);

  return {
    secretOf,
    list: (serviceId: string) => webhookStore.list(db, serviceId),
    get: (id: string) => webhookStore.get(db, id),
    setStatus: (id: string, status: WebhookRow['status']) => webhookStore.setStatus(db, id, status),
    messages: (webhookId: string) => webhookStore.messages(db, webhookId),
    message: (id: string) => webhookStore.message(db, id),
    attempts: (messageId: string) => webhookStore.attempts(db, messageId),

    async create(
      serviceId: string,
      live: boolean,
      input: { callbackUrl: string; description: string; subscriptions: string[] },
      createdBy: string,
    ): Promise<WebhookRow> {
      const fields = [];
      if (!validUrl(input.callbackUrl, live) || input.callbackUrl.length > 2000)
        fields.push({
          field: 'callback_url',
          message: live ? 'Enter a callback URL starting with https://' : 'Enter a callback URL starting with https:// or http://',
        });
      const subs = input.subscriptions.filter((s) => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(s));
      if (!subs.length || subs.length !== input.subscriptions.length)
        fields.push({ field: 'subscriptions', message: 'Select at least one payment event' });
      if (input.description.length > 255) fields.push({ field: 'description', message: 'Description must be 255 characters or fewer' });
      if (fields.length) throw new BadRequest(fields[0].message, fields);
      const secret = `webhook_${live ? 'live' : 'test'}_${randomToken(24)}`;
      return webhookStore.insert(db, {
        service_id: serviceId,
        live,
        callback_url: input.callbackUrl,
        description: input.description,
        secret_sealed: seal(config.encryptionKey, secret),
        subscriptions: subs,
        created_by: createdBy,
      });
    },

    /** Outbox subscriber: a payment event becomes a message and a delivery job per subscribed webhook. */
    async onEvent(event: StoredEvent, tx: Queryable): Promise<void> {
      const eventType = event.type.replace(/^payments\./, '');
      if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(eventType)) return;
      const { payment_id: paymentId, service_id: serviceId, live, refund_id: refundId } = event.payload;
      const hooks = await webhookStore.subscribed(tx, serviceId, live, eventType);
      if (!hooks.length) return;
      const p = await store.payment(tx, paymentId);
      if (!p) return;
      const resource = paymentSearchJson(ctx.urls, p);
      for (const w of hooks) {
        const id = externalId();
        const body = JSON.stringify({
          webhook_message_id: id,
          created_date: new Date(event.created_at).toISOString(),
          resource_id: refundId ?? paymentId,
          api_version: 1,
          resource_type: refundId ? 'refund' : 'payment',
          event_type: eventType,
          resource,
        });
        if (
          await webhookStore.insertMessage(tx, {
            id,
            webhook_id: w.id,
            event_id: event.id,
            event_type: eventType,
            resource_id: refundId ?? paymentId,
            resource_type: refundId ? 'refund' : 'payment',
            body,
          })
        ) {
          await jobs.send(
            DELIVERY_QUEUE,
            { messageId: id },
            { tx, retryLimit: opts.retryLimit, retryDelay: opts.retryDelaySeconds, retryBackoff: true },
          );
        }
      }
    },

    /** One delivery attempt; throws (so the job is retried with backoff) unless the callback answered 2xx. */
    async deliver(messageId: string): Promise<void> {
      const m = await webhookStore.message(db, messageId);
      if (!m || m.status === 'successful' || m.status === 'will_not_send') return;
      const w = await webhookStore.get(db, m.webhook_id);
      if (!w || w.status !== 'active') {
        await webhookStore.markWillNotSend(db, messageId);
        return;
      }
      const started = performance.now();
      let statusCode: number | null = null;
      let result: string;
      try {
        const res = await fetch(w.callback_url, {
          method: 'POST',
          body: m.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
          headers: {
            'content-type': 'application/json',
            'pay-signature': signature(secretOf(w), m.body),
            'user-agent': 'Cityscape-Pay-Webhooks/1',
          },
        });
        await res.arrayBuffer().catch(() => undefined);
        statusCode = res.status;
        result = `${res.status} ${res.statusText}`.trim();
      } catch (err) {
        result = (err as Error).name === 'TimeoutError' ? 'timeout' : `${(err as Error).message}`.slice(0, 200);
      }
      const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
      const final = !delivered && m.attempts + 1 > opts.retryLimit;
      await webhookStore.recordAttempt(db, messageId, {
        statusCode,
        result,
        ms: Math.round(performance.now() - started),
        delivered,
        final,
      });
      if (!delivered) {
        log.info({ messageId, webhookId: w.id, result }, 'webhook delivery failed; will retry');
        throw new Error(`webhook delivery failed: ${result}`);
      }
    },
  };
}
export type Webhooks = ReturnType<typeof createWebhooks>;
