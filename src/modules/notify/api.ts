// GOV.UK Notify's v2 API at /notify/v2, so existing Notify clients work with only their base URL
// changed. Each route's TypeBox schema (schema.ts) types its handler and documents /openapi.json,
// but the request is checked by Notify's own rules and messages (validate.ts), run in Fastify's
// validation step by this scope's validator compiler rather than by Ajv: clients written for
// Notify (notifications-node-client and the rest) expect every problem in one ValidationError
// with Notify's wording ("template_id is a required property", "email_address Not a valid email
// address", "status elephant is not one of [...]"), which Ajv's messages are not. Also the
// endpoints the HTTP providers call back on (delivery receipts, received text messages).
import type { FastifyInstance, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { safeEqual } from '../../kernel/crypto.js';
import { Unauthorised } from '../../kernel/errors.js';
import type { Config } from '../../config.js';
import { NotifyError } from './errors.js';
import type { ApiCaller, NotifyAuth } from './auth.js';
import type { Delivery } from './delivery.js';
import type { NotifyService } from './service.js';
import {
  emailRequest,
  idParams,
  letterRequest,
  listQuery,
  notificationsQuery,
  olderThanQuery,
  previewRequest,
  smsRequest,
  templatesQuery,
  versionParams,
} from './validate.js';
import {
  EmailBody,
  IdParams,
  LetterBody,
  NotificationsQuery,
  PreviewBody,
  ReceivedTextsQuery,
  SmsBody,
  TemplatesQuery,
  VersionParams,
} from './schema.js';
import { declareAuth } from '../../kernel/routes.js';

export const API_PREFIX = '/notify/v2';
const tags = ['notify'];
const security = [{ bearerAuth: [] }];

type Rule = (data: any) => unknown;
/**
 * A route's validator compiler: each request part with a schema is checked by its Notify rule,
 * whose result (the part, normalised) replaces it; a NotifyError becomes the reply through the
 * /notify error formatter. The same hand-written checks the handlers used to call, so the send
 * path does no more work than before.
 */
const rules =
  (byPart: Partial<Record<'params' | 'querystring' | 'body', Rule>>): FastifySchemaCompiler<unknown> =>
  ({ httpPart }) => {
    const rule = byPart[httpPart as keyof typeof byPart];
    if (!rule) throw new Error(`notify: no rule for the ${httpPart} schema`);
    return (data: unknown) => {
      try {
        return { value: rule(data) };
      } catch (err) {
        if (err instanceof NotifyError) return { error: err };
        throw err;
      }
    };
  };

const callerOf = (req: FastifyRequest) => (req as FastifyRequest & { notifyCaller: ApiCaller }).notifyCaller;
const sender = (c: ApiCaller) => ({ serviceId: c.serviceId, keyId: c.keyId, keyType: c.keyType });

export function notifyApi(app: FastifyInstance, deps: { config: Config; auth: NotifyAuth; service: NotifyService; delivery: Delivery }) {
  const { auth, service, delivery, config } = deps;
  // Notify's limits are per service (limits.ts), so the per-address limit does not apply here.
  const config_ = { rateLimit: false, api: true } as const;

  app.register(async (plain) => {
    const api = plain.withTypeProvider<TypeBoxTypeProvider>();
    declareAuth(api, 'Notify API key (JWT)');
    api.decorateRequest('notifyCaller', null);
    // Before validation, as Notify checks the key before the request: a bad key is an AuthError whatever the body.
    api.addHook('preValidation', async (req) => {
      (req as FastifyRequest & { notifyCaller: ApiCaller }).notifyCaller = await auth(req.headers.authorization);
    });

    api.post(
      `${API_PREFIX}/notifications/email`,
      {
        config: config_,
        bodyLimit: 4 * 1024 * 1024,
        schema: { tags, security, summary: 'Send an email', body: EmailBody },
        validatorCompiler: rules({ body: emailRequest }),
      },
      async (req, reply) => reply.status(201).send(await service.send.email(sender(callerOf(req)), req.body)),
    );

    api.post(
      `${API_PREFIX}/notifications/sms`,
      {
        config: config_,
        schema: { tags, security, summary: 'Send a text message', body: SmsBody },
        validatorCompiler: rules({ body: smsRequest }),
      },
      async (req, reply) => reply.status(201).send(await service.send.sms(sender(callerOf(req)), req.body)),
    );

    api.post(
      `${API_PREFIX}/notifications/letter`,
      {
        config: config_,
        bodyLimit: 10 * 1024 * 1024,
        schema: { tags, security, summary: 'Send a letter (from a template, or a precompiled PDF)', body: LetterBody },
        validatorCompiler: rules({ body: (raw) => letterRequest(raw).req }),
      },
      async (req, reply) => {
        const caller = sender(callerOf(req));
        const body = 'content' in req.body ? await service.send.precompiled(caller, req.body) : await service.send.letter(caller, req.body);
        return reply.status(201).send(body);
      },
    );

    api.get(
      `${API_PREFIX}/notifications`,
      {
        config: config_,
        schema: {
          tags,
          security,
          summary: 'Get the status of several messages (newest first, 250 a page)',
          querystring: NotificationsQuery,
        },
        validatorCompiler: rules({ querystring: notificationsQuery }),
      },
      async (req) => {
        const c = callerOf(req);
        return service.listNotifications(c.serviceId, c.keyType, listQuery(req.query));
      },
    );

    api.get(
      `${API_PREFIX}/notifications/:id`,
      {
        config: config_,
        schema: { tags, security, summary: 'Get the status of one message', params: IdParams },
        validatorCompiler: rules({ params: idParams('notification_id') }),
      },
      async (req) => service.notificationJson(await service.notification(callerOf(req).serviceId, req.params.id)),
    );

    api.get(
      `${API_PREFIX}/notifications/:id/pdf`,
      {
        config: config_,
        schema: { tags, security, summary: 'Get the PDF of a letter', params: IdParams },
        validatorCompiler: rules({ params: idParams('notification_id') }),
      },
      async (req, reply) => {
        const pdf = await service.letterPdf(callerOf(req).serviceId, req.params.id);
        return reply.type('application/pdf').send(Buffer.from(pdf));
      },
    );

    api.get(
      `${API_PREFIX}/template/:id`,
      {
        config: config_,
        schema: { tags, security, summary: 'Get a template (latest version)', params: IdParams },
        validatorCompiler: rules({ params: idParams() }),
      },
      async (req) => service.templateJson(await service.template(callerOf(req).serviceId, req.params.id)),
    );

    api.get(
      `${API_PREFIX}/template/:id/version/:version`,
      {
        config: config_,
        schema: { tags, security, summary: 'Get one version of a template', params: VersionParams },
        validatorCompiler: rules({ params: versionParams }),
      },
      async (req) => service.templateJson(await service.template(callerOf(req).serviceId, req.params.id, Number(req.params.version))),
    );

    api.post(
      `${API_PREFIX}/template/:id/preview`,
      {
        config: config_,
        schema: { tags, security, summary: 'Preview a template with personalisation', params: IdParams, body: PreviewBody },
        validatorCompiler: rules({ params: idParams(), body: previewRequest }),
      },
      async (req) => {
        const t = await service.template(callerOf(req).serviceId, req.params.id);
        return service.preview(t, req.body.personalisation ?? {});
      },
    );

    api.get(
      `${API_PREFIX}/templates`,
      {
        config: config_,
        schema: { tags, security, summary: 'Get all templates (latest versions), optionally of one type', querystring: TemplatesQuery },
        validatorCompiler: rules({ querystring: templatesQuery }),
      },
      async (req) => ({ templates: await service.templates(callerOf(req).serviceId, req.query.type ?? null) }),
    );

    api.get(
      `${API_PREFIX}/received-text-messages`,
      {
        config: config_,
        schema: { tags, security, summary: 'Get received text messages (newest first, 250 a page)', querystring: ReceivedTextsQuery },
        validatorCompiler: rules({ querystring: olderThanQuery }),
      },
      async (req) => service.receivedTexts(callerOf(req).serviceId, req.query.older_than ?? null),
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
  const isStatus = (s: unknown): s is (typeof STATUSES)[number] => STATUSES.some((x) => x === s);

  app.post('/notify/provider/receipts', providerRoute, async (req, reply) => {
    const b = (req.body ?? {}) as { reference?: unknown; status?: unknown };
    if (typeof b.reference !== 'string' || !isStatus(b.status)) return reply.status(400).send({ error: 'expected {reference, status}' });
    const updated = await delivery.receipt(b.reference, b.status);
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
