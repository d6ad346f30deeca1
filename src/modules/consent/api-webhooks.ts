// /consent/config/webhook(s)/…: an organisation's webhook subscriptions. The secret key is
// shown whole when the webhook is created and masked afterwards; sending the masked value
// back on update keeps the secret.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { idParam, paging, requireKind, route, type ApiDeps } from './api.js';
import { objectField, bool } from './parse.js';
import { paginationJson } from './representation.js';
import { badRequest } from './errors.js';
import { EVENT_TYPES, type WebhookInput, type WebhookRow } from './webhooks.js';
import * as S from './schema.js';

const TAGS = ['consent'];
const o = (props: Record<string, any>) => Type.Object(props, { additionalProperties: true });
const WebhookId = Type.Object({ webhookId: Type.String() });

function input(body: unknown): WebhookInput {
  const w = objectField(body, 'webhook');
  const str = (k: string) => {
    const v = w[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw badRequest(`webhook.${k} must be a string`, `webhook.${k}`);
    return v.trim();
  };
  const events = w.subscribedEvents ?? w.events;
  if (events !== undefined && (!Array.isArray(events) || events.some((e) => typeof e !== 'string')))
    throw badRequest(`webhook.subscribedEvents must be a list of ${EVENT_TYPES.join(', ')}`, 'webhook.subscribedEvents');
  return {
    payloadUrl: str('payloadUrl'),
    contentType: str('contentType'),
    secretKey: str('secretKey'),
    disabled: bool(w, 'disabled', 'webhook.disabled'),
    subscribedEvents: events as string[] | undefined,
  };
}

export function webhookJson(w: WebhookRow, secret: string) {
  return {
    id: w.id,
    payloadUrl: w.payload_url,
    contentType: w.content_type,
    subscribedEvents: w.subscribed_events,
    disabled: w.disabled,
    secretKey: secret,
    skipSslVerification: w.skip_ssl_verification,
    timestamp: new Date(w.created_at).toISOString(),
  };
}

export function webhookRoutes(app: FastifyInstance, d: ApiDeps) {
  const { webhooks } = d;
  const One = o({ webhook: S.Webhook });

  app.post(
    '/config/webhook/',
    route(TAGS, `Subscribe a URL to consent events (${EVENT_TYPES.join(', ')})`, {
      body: S.body('webhook', S.Webhook),
      response: { 200: One },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      const { webhook, secret } = await webhooks.create(c.organisationId, input(req.body));
      return { webhook: webhookJson(webhook, secret) };
    },
  );
  app.get('/config/webhook/:webhookId/', route(TAGS, 'Read a webhook', { params: WebhookId, response: { 200: One } }), async (req) => {
    const c = requireKind(req, 'organisation');
    const w = await webhooks.get(c.organisationId, idParam(req, 'webhookId', 'Webhook'));
    return { webhook: webhookJson(w, webhooks.masked(w)) };
  });
  app.put(
    '/config/webhook/:webhookId/',
    route(TAGS, 'Update a webhook', { params: WebhookId, body: S.body('webhook', S.Webhook), response: { 200: One } }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      const w = await webhooks.update(c.organisationId, idParam(req, 'webhookId', 'Webhook'), input(req.body));
      return { webhook: webhookJson(w, webhooks.masked(w)) };
    },
  );
  app.delete(
    '/config/webhook/:webhookId/',
    route(TAGS, 'Delete a webhook', { params: WebhookId, response: { 200: o({}) } }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      await webhooks.remove(c.organisationId, idParam(req, 'webhookId', 'Webhook'));
      return {};
    },
  );
  app.get(
    '/config/webhooks/',
    route(TAGS, "The organisation's webhooks", {
      querystring: S.Paging,
      response: { 200: o({ webhooks: Type.Array(S.Webhook), pagination: S.Pagination }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      const { offset, limit } = paging(req);
      const { rows, total } = await webhooks.list(c.organisationId, offset, limit);
      return { webhooks: rows.map((w) => webhookJson(w, webhooks.masked(w))), pagination: paginationJson(total, offset, limit) };
    },
  );
  app.get(
    '/config/webhook/:webhookId/deliveries/',
    route(TAGS, 'The last 100 deliveries of a webhook and their outcomes', {
      params: WebhookId,
      response: { 200: o({ deliveries: Type.Array(o({})) }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      const rows = await webhooks.deliveries(c.organisationId, idParam(req, 'webhookId', 'Webhook'));
      return {
        deliveries: rows.map((r: any) => ({
          id: r.id,
          type: r.event_type,
          status: r.status,
          attempts: r.attempts,
          lastStatusCode: r.last_status,
          lastResult: r.last_result,
          createdAt: new Date(r.created_at).toISOString(),
          deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
        })),
      };
    },
  );
}
