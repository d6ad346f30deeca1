// Console pages for a service's webhooks (create, switch off and on, signing secret, delivery
// log with each message and attempt) and payment links (create, switch off and on).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { HttpError, type FieldError } from '../../kernel/errors.js';
import { fieldErrorsFrom, formErrors, list, str, type FormBody } from '../../kernel/forms.js';
import { requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import { WEBHOOK_EVENT_TYPES } from './context.js';
import { actorName, dateTime, liveMode, render, serviceFor, type ConsoleServices } from './admin.js';
import { money } from './pages.js';

export function adminSettingsPages(admin: FastifyInstance, k: Kernel, catalogue: CatalogueService, s: ConsoleServices) {
  const t = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));

  async function webhooksPage(req: FastifyRequest, reply: FastifyReply, values: Record<string, unknown> = {}, fields: FieldError[] = []) {
    const { service } = await serviceFor(catalogue, req);
    const live = liveMode(req);
    const hooks = (await s.webhooks.list(service.id)).filter((w) => w.live === live);
    if (fields.length) reply.status(400);
    return render(k, req, reply, 'webhooks', {
      title: t(req)('payments.admin.webhooks.title'),
      service,
      live,
      hooks,
      eventTypes: WEBHOOK_EVENT_TYPES,
      values: { subscriptions: [], ...values },
      ...formErrors(fields),
    });
  }

  admin.get('/admin/pay/:slug/webhooks', (req, reply) => webhooksPage(req, reply));

  admin.post('/admin/pay/:slug/webhooks', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req);
    const body = req.body as FormBody;
    const live = str(body, 'mode') === 'live';
    const values = {
      callback_url: str(body, 'callback_url', 2100),
      description: str(body, 'description', 300),
      subscriptions: list(body, 'subscriptions'),
    };
    try {
      const w = await s.webhooks.create(
        service.id,
        live,
        { callbackUrl: values.callback_url, description: values.description, subscriptions: values.subscriptions },
        actorName(actor),
      );
      await k.audit.record(k.db, {
        actor: actorName(actor),
        action: 'webhook.create',
        subject: `payments.webhook:${w.id}`,
        organisationId: service.organisation.id,
        after: { callback_url: w.callback_url, subscriptions: w.subscriptions },
      });
      return reply.redirect(`/admin/pay/${service.slug}/webhooks/${w.id}?done=webhook-created`, 303);
    } catch (err) {
      (req.query as any).mode = live ? 'live' : 'test';
      return webhooksPage(req, reply, values, fieldErrorsFrom(err, 'callback_url'));
    }
  });

  async function webhookFor(req: FastifyRequest) {
    const { actor, service } = await serviceFor(catalogue, req);
    const w = await s.webhooks.get((req.params as any).id);
    if (!w || w.service_id !== service.id) throw new HttpError(404, 'not_found', 'No such webhook');
    return { actor, service, w };
  }

  admin.get('/admin/pay/:slug/webhooks/:id', async (req, reply) => {
    const { service, w } = await webhookFor(req);
    const lang = requestLang(req);
    const messages = await s.webhooks.messages(w.id);
    return render(k, req, reply, 'webhook', {
      title: t(req)('payments.admin.webhooks.detail'),
      service,
      w,
      secret: s.webhooks.secretOf(w),
      live: w.live,
      messages: messages.map((m) => ({ ...m, when: dateTime(m.created_at, lang) })),
    });
  });

  admin.get('/admin/pay/:slug/webhooks/:id/messages/:messageId', async (req, reply) => {
    const { service, w } = await webhookFor(req);
    const m = await s.webhooks.message((req.params as any).messageId);
    if (!m || m.webhook_id !== w.id) throw new HttpError(404, 'not_found', 'No such message');
    const lang = requestLang(req);
    const attempts = await s.webhooks.attempts(m.id);
    let pretty = m.body;
    try {
      pretty = JSON.stringify(JSON.parse(m.body), null, 2);
    } catch {
      /* shown as sent */
    }
    return render(k, req, reply, 'message', {
      title: t(req)('payments.admin.webhooks.message'),
      service,
      w,
      m,
      pretty,
      live: w.live,
      attempts: attempts.map((a) => ({ ...a, when: dateTime(a.at, lang) })),
    });
  });

  admin.post('/admin/pay/:slug/webhooks/:id/status', async (req, reply) => {
    const { actor, service, w } = await webhookFor(req);
    const status = str(req.body as FormBody, 'status') === 'active' ? 'active' : 'inactive';
    await s.webhooks.setStatus(w.id, status);
    await k.audit.record(k.db, {
      actor: actorName(actor),
      action: `webhook.${status === 'active' ? 'activate' : 'deactivate'}`,
      subject: `payments.webhook:${w.id}`,
      organisationId: service.organisation.id,
    });
    return reply.redirect(`/admin/pay/${service.slug}/webhooks/${w.id}?done=webhook-updated`, 303);
  });

  // Payment links
  async function linksPage(req: FastifyRequest, reply: FastifyReply, values: Record<string, string> = {}, fields: FieldError[] = []) {
    const { service } = await serviceFor(catalogue, req);
    const lang = requestLang(req);
    const rows = await s.links.list(service.id);
    if (fields.length) reply.status(400);
    return render(k, req, reply, 'links', {
      title: t(req)('payments.admin.links.title'),
      service,
      live: liveMode(req),
      publicUrl: k.config.publicUrl,
      links: rows.map((l) => ({ ...l, money: l.amount === null ? null : money(l.amount, lang) })),
      values: { language: 'en', mode: 'test', ...values },
      ...formErrors(fields),
    });
  }

  admin.get('/admin/pay/:slug/links', (req, reply) => linksPage(req, reply));

  admin.post('/admin/pay/:slug/links', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req);
    const body = req.body as FormBody;
    const values = {
      slug: str(body, 'slug', 100).toLowerCase(),
      title: str(body, 'title', 300),
      description: str(body, 'description', 2100),
      amount: str(body, 'amount', 30),
      reference_label: str(body, 'reference_label', 120),
      reference_hint: str(body, 'reference_hint', 300),
      language: str(body, 'language', 2),
      mode: str(body, 'mode', 4),
    };
    try {
      const l = await s.links.create(
        service.id,
        {
          slug: values.slug,
          title: values.title,
          description: values.description,
          amount: values.amount,
          referenceLabel: values.reference_label,
          referenceHint: values.reference_hint,
          language: values.language,
          live: values.mode === 'live',
        },
        actorName(actor),
      );
      await k.audit.record(k.db, {
        actor: actorName(actor),
        action: 'payment_link.create',
        subject: `payments.link:${l.id}`,
        organisationId: service.organisation.id,
        after: { slug: l.slug, amount: l.amount },
      });
      return reply.redirect(`/admin/pay/${service.slug}/links?done=link-created`, 303);
    } catch (err) {
      const fields =
        err instanceof HttpError && err.code === 'slug_taken' ? [{ field: 'slug', message: err.message }] : fieldErrorsFrom(err, 'slug');
      return linksPage(req, reply, values, fields);
    }
  });

  admin.post('/admin/pay/:slug/links/:id/status', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req);
    const id = String((req.params as any).id);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new HttpError(404, 'not_found', 'No such payment link');
    const status = str(req.body as FormBody, 'status') === 'active' ? 'active' : 'inactive';
    await s.links.setStatus(id, service.id, status);
    await k.audit.record(k.db, {
      actor: actorName(actor),
      action: `payment_link.${status === 'active' ? 'activate' : 'deactivate'}`,
      subject: `payments.link:${id}`,
      organisationId: service.organisation.id,
    });
    return reply.redirect(`/admin/pay/${service.slug}/links?done=link-updated`, 303);
  });
}
