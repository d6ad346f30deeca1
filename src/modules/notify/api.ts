// GOV.UK Notify's v2 API at /notify/v2, so existing Notify clients work with only their base URL
// changed. Requests are checked with Notify's own rules and messages (validate.ts) rather than
// Fastify's schema errors, which clients written for Notify would not recognise. Also the
// endpoints the HTTP providers call back on (delivery receipts, received text messages).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { safeEqual } from '../../kernel/crypto.js';
import { Unauthorised } from '../../kernel/errors.js';
import type { Config } from '../../config.js';
import { noResult } from './errors.js';
import type { ApiCaller, NotifyAuth } from './auth.js';
import type { Delivery } from './delivery.js';
import type { NotifyService } from './service.js';
import {
  emailRequest,
  idParam,
  letterRequest,
  notificationsQuery,
  olderThanQuery,
  previewRequest,
  smsRequest,
  templatesQuery,
} from './validate.js';
import { declareAuth } from '../../kernel/routes.js';

export const API_PREFIX = '/notify/v2';
const tags = ['notify'];
const security = [{ bearerAuth: [] }];
const doc = (summary: string) => ({ tags, summary, security });

const callerOf = (req: FastifyRequest) => (req as FastifyRequest & { notifyCaller: ApiCaller }).notifyCaller;
const sender = (c: ApiCaller) => ({ serviceId: c.serviceId, keyId: c.keyId, keyType: c.keyType });

export function notifyApi(app: FastifyInstance, deps: { config: Config; auth: NotifyAuth; service: NotifyService; delivery: Delivery }) {
  const { auth, service, delivery, config } = deps;
  // Notify's limits are per service (limits.ts), so the per-address limit does not apply here.
  const route = { config: { rateLimit: false, api: true } } as const;

  app.register(async (api) => {
    declareAuth(api, 'Notify API key (JWT)');
    api.decorateRequest('notifyCaller', null);
    api.addHook('preHandler', async (req) => {
      (req as FastifyRequest & { notifyCaller: ApiCaller }).notifyCaller = await auth(req.headers.authorization);
    });

    api.post(
      `${API_PREFIX}/notifications/email`,
      { ...route, bodyLimit: 4 * 1024 * 1024, schema: doc('Send an email') },
      async (req, reply) => reply.status(201).send(await service.send.email(sender(callerOf(req)), emailRequest(req.body))),
    );

    api.post(`${API_PREFIX}/notifications/sms`, { ...route, schema: doc('Send a text message') }, async (req, reply) =>
      reply.status(201).send(await service.send.sms(sender(callerOf(req)), smsRequest(req.body))),
    );

    api.post(
      `${API_PREFIX}/notifications/letter`,
      { ...route, bodyLimit: 10 * 1024 * 1024, schema: doc('Send a letter (from a template, or a precompiled PDF)') },
      async (req, reply) => {
        const parsed = letterRequest(req.body);
        const caller = sender(callerOf(req));
        const body =
          parsed.kind === 'precompiled'
            ? await service.send.precompiled(caller, parsed.req)
            : await service.send.letter(caller, parsed.req);
        return reply.status(201).send(body);
      },
    );

    api.get(
      `${API_PREFIX}/notifications`,
      { ...route, schema: doc('Get the status of several messages (newest first, 250 a page)') },
      async (req) => {
        const c = callerOf(req);
        return service.listNotifications(c.serviceId, c.keyType, notificationsQuery(req.query as Record<string, unknown>));
      },
    );

    api.get(`${API_PREFIX}/notifications/:id`, { ...route, schema: doc('Get the status of one message') }, async (req) => {
      const id = idParam((req.params as { id: string }).id, 'notification_id');
      return service.notificationJson(await service.notification(callerOf(req).serviceId, id));
    });

    api.get(`${API_PREFIX}/notifications/:id/pdf`, { ...route, schema: doc('Get the PDF of a letter') }, async (req, reply) => {
      const id = idParam((req.params as { id: string }).id, 'notification_id');
      const pdf = await service.letterPdf(callerOf(req).serviceId, id);
      return reply.type('application/pdf').send(Buffer.from(pdf));
    });

    api.get(`${API_PREFIX}/template/:id`, { ...route, schema: doc('Get a template (latest version)') }, async (req) => {
      const id = idParam((req.params as { id: string }).id);
      return service.templateJson(await service.template(callerOf(req).serviceId, id));
    });

    api.get(`${API_PREFIX}/template/:id/version/:version`, { ...route, schema: doc('Get one version of a template') }, async (req) => {
      const { id, version } = req.params as { id: string; version: string };
      if (!/^\d{1,9}$/.test(version)) throw noResult();
      return service.templateJson(await service.template(callerOf(req).serviceId, idParam(id), Number(version)));
    });

    api.post(`${API_PREFIX}/template/:id/preview`, { ...route, schema: doc('Preview a template with personalisation') }, async (req) => {
      const id = idParam((req.params as { id: string }).id);
      const t = await service.template(callerOf(req).serviceId, id);
      return service.preview(t, previewRequest(req.body).personalisation);
    });

    api.get(
      `${API_PREFIX}/templates`,
      { ...route, schema: doc('Get all templates (latest versions), optionally of one type') },
      async (req) => ({
        templates: await service.templates(callerOf(req).serviceId, templatesQuery(req.query as Record<string, unknown>)),
      }),
    );

    api.get(
      `${API_PREFIX}/received-text-messages`,
      { ...route, schema: doc('Get received text messages (newest first, 250 a page)') },
      async (req) => service.receivedTexts(callerOf(req).serviceId, olderThanQuery(req.query as Record<string, unknown>)),
    );
  });

  // Provider callbacks: the HTTP SMS and letter providers report receipts and received texts here.
  const provider = async (req: FastifyRequest) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (!config.notify.providerToken || !token || !safeEqual(token, config.notify.providerToken))
      throw new Unauthorised('A provider token is required');
  };
  const providerRoute = { config: { rateLimit: false, api: true }, preHandler: provider, schema: { hide: true } } as const;
  const STATUSES = ['delivered', 'permanent-failure', 'temporary-failure', 'technical-failure'] as const;

  app.post('/notify/provider/receipts', providerRoute, async (req, reply) => {
    const b = (req.body ?? {}) as { reference?: unknown; status?: unknown };
    if (typeof b.reference !== 'string' || !STATUSES.includes(b.status as any))
      return reply.status(400).send({ error: 'expected {reference, status}' });
    const updated = await delivery.receipt(b.reference, b.status as (typeof STATUSES)[number]);
    return reply.status(updated ? 204 : 404).send();
  });

  app.post('/notify/provider/inbound-sms', providerRoute, async (req, reply) => {
    const b = (req.body ?? {}) as { to?: unknown; from?: unknown; body?: unknown; reference?: unknown };
    if (typeof b.to !== 'string' || typeof b.from !== 'string' || typeof b.body !== 'string')
      return reply.status(400).send({ error: 'expected {to, from, body}' });
    const r = await service.receiveText({
      notifyNumber: b.to,
      userNumber: b.from,
      content: b.body,
      providerReference: typeof b.reference === 'string' ? b.reference : null,
    });
    return reply.status(r ? 201 : 404).send(r ?? { error: 'no service has that number' });
  });
}
