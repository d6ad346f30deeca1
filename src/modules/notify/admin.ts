// The staff console for Notify at /admin/notify: per service, templates (create, edit with a
// preview, version history), team members and guest list, callbacks, sent messages with their
// status and a search, usage per day and channel. A staff member sees only services they may
// manage (catalogue.canManage), so a service team never sees another service's messages.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { guardStaff, staffActorOf } from '../../kernel/staff.js';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden, NotFound, type FieldError } from '../../kernel/errors.js';
import { unseal } from '../../kernel/crypto.js';
import { fieldErrorsFrom, formErrors, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import { placeholderNames } from './content/placeholders.js';
import { bodyPageHtml } from './content/markdown.js';
import { smsBody, smsCount } from './content/sms.js';
import { externalStatus, internalStatuses } from './representation.js';
import { validateEmail, validatePhone, InvalidRecipient } from './content/recipients.js';
import type { NotifyService } from './service.js';
import type { TemplateType } from './store.js';
import { UUID } from './validate.js';
import { outboxPages } from './admin-outbox.js';

type Staff = Awaited<ReturnType<CatalogueService['staffActor']>> & {};
const PAGE = 50;
const TYPES: TemplateType[] = ['email', 'sms', 'letter'];

export function notifyAdminPages(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, service: NotifyService) {
  const t = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));
  const render = (req: FastifyRequest, reply: FastifyReply, view: string, ctx: Record<string, unknown>) =>
    renderPage(k.views, req, reply, `notify/views/${view}.njk`, { done: doneText(req), ...ctx });
  const outboxInUse = !k.config.smtpUrl || !k.config.notify.smsUrl || !k.config.notify.letterUrl;
  const doneText = (req: FastifyRequest) => {
    const d = (req.query as Record<string, unknown>).done;
    return typeof d === 'string' && /^[a-z-]{1,30}$/.test(d) ? t(req)(`notify.console.done.${d}`) : null;
  };

  /** The service in the URL, if this staff member may manage it; otherwise 403 (404 when there is none). */
  async function scope(req: FastifyRequest) {
    const actor = staffActorOf<Staff>(req);
    const s = await catalogue.getService((req.params as { slug: string }).slug);
    if (!catalogue.canManage(actor, s.organisation.id, 'service')) throw new Forbidden();
    const audit = { actor: `staff:${actor.email}`, organisationId: s.organisation.id };
    return { actor, s, base: `/admin/notify/${s.slug}`, audit };
  }

  app.register(async (admin) => {
    guardStaff<Staff>(admin, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });

    admin.get('/admin/notify', async (req, reply) => {
      const actor = staffActorOf<Staff>(req);
      const services = (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
      return render(req, reply, 'console-home', { title: t(req)('notify.console.home.title'), services, outbox: outboxInUse });
    });

    outboxPages(admin, k, catalogue, service, {
      staff: (req) => staffActorOf<Staff>(req),
      render,
      t,
    });

    admin.get('/admin/notify/:slug', async (req, reply) => {
      const { s, base } = await scope(req);
      const usage = await service.usage(s.id, 7);
      const days = [...new Set(usage.map((u) => u.day))];
      const table = days.map((day) => {
        const row: Record<string, number | string> = { day };
        for (const type of TYPES) {
          const rows = usage.filter((u) => u.day === day && u.type === type && u.key_type !== 'test');
          row[type] = rows.reduce((n, u) => n + u.n, 0);
          row[`${type}Failed`] = rows.filter((u) => u.status.endsWith('failure')).reduce((n, u) => n + u.n, 0);
        }
        row.test = usage.filter((u) => u.day === day && u.key_type === 'test').reduce((n, u) => n + u.n, 0);
        return row;
      });
      const profile = await service.settings(s.id);
      return render(req, reply, 'console-service', {
        title: s.name,
        s,
        base,
        usage: table,
        profile,
        notifyBase: service.base,
        keys: (await catalogue.listApiKeys(s.id)).filter((key) => key.platform === 'notify'),
      });
    });

    // Templates
    admin.get('/admin/notify/:slug/templates', async (req, reply) => {
      const { s, base } = await scope(req);
      return render(req, reply, 'templates', {
        title: t(req)('notify.console.templates.title'),
        s,
        base,
        templates: await service.templates(s.id, null),
      });
    });

    const templateForm = (
      req: FastifyRequest,
      reply: FastifyReply,
      ctx: {
        s: any;
        base: string;
        type: TemplateType;
        values: Record<string, string>;
        action: string;
        fields?: FieldError[];
        preview?: unknown;
        editing?: boolean;
      },
    ) => {
      if (ctx.fields?.length) reply.status(400);
      return render(req, reply, 'template-form', {
        title: t(req)(ctx.editing ? 'notify.console.templates.editTitle' : `notify.console.templates.new.${ctx.type}`),
        ...ctx,
        ...formErrors(ctx.fields ?? []),
      });
    };
    const previewOf = (type: TemplateType, v: Record<string, string>) => {
      const names = placeholderNames(v.subject, v.body);
      if (type === 'email') return { kind: 'email', subject: v.subject, html: bodyPageHtml(v.body), names };
      if (type === 'sms') {
        const body = smsBody(v.body);
        return { kind: 'sms', body, count: smsCount(body), names };
      }
      return { kind: 'letter', subject: v.subject, html: bodyPageHtml(v.body), names };
    };
    const formValues = (body: FormBody | undefined) => ({
      name: str(body, 'name', 200),
      subject: str(body, 'subject', 500),
      body: str(body, 'body', 100_000),
      letter_contact_block: str(body, 'letter_contact_block', 1000),
      postage: str(body, 'postage', 20) || 'second',
    });

    admin.get('/admin/notify/:slug/templates/new', async (req, reply) => {
      const { s, base } = await scope(req);
      const type = String((req.query as Record<string, unknown>).type ?? '') as TemplateType;
      if (!TYPES.includes(type))
        return render(req, reply, 'template-type', { title: t(req)('notify.console.templates.chooseType'), s, base });
      return templateForm(req, reply, { s, base, type, values: { postage: 'second' }, action: `${base}/templates/new?type=${type}` });
    });

    admin.post('/admin/notify/:slug/templates/new', async (req, reply) => {
      const { s, base, actor, audit } = await scope(req);
      const type = String((req.query as Record<string, unknown>).type ?? '') as TemplateType;
      if (!TYPES.includes(type)) throw new NotFound();
      const body = req.body as FormBody | undefined;
      const values = formValues(body);
      const action = `${base}/templates/new?type=${type}`;
      if (str(body, 'preview')) return templateForm(req, reply, { s, base, type, values, action, preview: previewOf(type, values) });
      try {
        const created = await service.createTemplate(
          s.id,
          { type, ...values, subject: values.subject || null, letter_contact_block: values.letter_contact_block || null },
          actor.email,
          audit,
        );
        return reply.redirect(`${base}/templates/${created.id}?done=template-saved`, 303);
      } catch (err) {
        return templateForm(req, reply, { s, base, type, values, action, fields: fieldErrorsFrom(err, 'body') });
      }
    });

    const templateOf = async (req: FastifyRequest, serviceId: string) => {
      const id = (req.params as { id: string }).id;
      if (!UUID.test(id)) throw new NotFound();
      return service.template(serviceId, id).catch(() => {
        throw new NotFound('No such template');
      });
    };

    admin.get('/admin/notify/:slug/templates/:id', async (req, reply) => {
      const { s, base } = await scope(req);
      const tpl = await templateOf(req, s.id);
      return render(req, reply, 'template', {
        title: tpl.name,
        s,
        base,
        tpl,
        preview: previewOf(tpl.type, { subject: tpl.subject ?? '', body: tpl.body }),
      });
    });

    admin.get('/admin/notify/:slug/templates/:id/edit', async (req, reply) => {
      const { s, base } = await scope(req);
      const tpl = await templateOf(req, s.id);
      const values = {
        name: tpl.name,
        subject: tpl.subject ?? '',
        body: tpl.body,
        letter_contact_block: tpl.letter_contact_block ?? '',
        postage: tpl.postage ?? 'second',
      };
      return templateForm(req, reply, { s, base, type: tpl.type, values, action: `${base}/templates/${tpl.id}/edit`, editing: true });
    });

    admin.post('/admin/notify/:slug/templates/:id/edit', async (req, reply) => {
      const { s, base, actor, audit } = await scope(req);
      const tpl = await templateOf(req, s.id);
      const body = req.body as FormBody | undefined;
      const values = formValues(body);
      const action = `${base}/templates/${tpl.id}/edit`;
      if (str(body, 'preview'))
        return templateForm(req, reply, { s, base, type: tpl.type, values, action, editing: true, preview: previewOf(tpl.type, values) });
      try {
        await service.updateTemplate(
          s.id,
          tpl.id,
          { ...values, subject: values.subject || null, letter_contact_block: values.letter_contact_block || null },
          actor.email,
          audit,
        );
        return reply.redirect(`${base}/templates/${tpl.id}?done=template-saved`, 303);
      } catch (err) {
        return templateForm(req, reply, { s, base, type: tpl.type, values, action, editing: true, fields: fieldErrorsFrom(err, 'body') });
      }
    });

    admin.get('/admin/notify/:slug/templates/:id/versions', async (req, reply) => {
      const { s, base } = await scope(req);
      const tpl = await templateOf(req, s.id);
      return render(req, reply, 'versions', {
        title: t(req)('notify.console.versions.title'),
        s,
        base,
        tpl,
        versions: await service.templateVersions(s.id, tpl.id),
      });
    });

    // Team members and guest list
    const teamPage = async (
      req: FastifyRequest,
      reply: FastifyReply,
      s: any,
      base: string,
      values: Record<string, string> = {},
      fields: FieldError[] = [],
    ) => {
      if (fields.length) reply.status(400);
      const staff = (await catalogue.listStaff(s.organisation.id)).filter((u) => !u.disabled_at);
      return render(req, reply, 'team', {
        title: t(req)('notify.console.team.title'),
        s,
        base,
        teamStaff: staff,
        allowed: await service.allowed(s.id),
        values,
        ...formErrors(fields),
      });
    };
    admin.get('/admin/notify/:slug/team', async (req, reply) => {
      const { s, base } = await scope(req);
      return teamPage(req, reply, s, base);
    });
    admin.post('/admin/notify/:slug/team', async (req, reply) => {
      const { s, base, audit } = await scope(req);
      const body = req.body as FormBody | undefined;
      const values = {
        kind: str(body, 'kind', 10) === 'member' ? 'member' : 'guest',
        name: str(body, 'name', 200),
        recipient: str(body, 'recipient', 320),
      };
      const tr = t(req);
      let email: string | null = null;
      let phone: string | null = null;
      if (!values.recipient)
        return teamPage(req, reply, s, base, values, [{ field: 'recipient', message: tr('notify.console.team.errors.missing') }]);
      try {
        if (values.recipient.includes('@')) email = validateEmail(values.recipient);
        else phone = validatePhone(values.recipient, { international: true }).normalised;
      } catch (err) {
        if (!(err instanceof InvalidRecipient)) throw err;
        return teamPage(req, reply, s, base, values, [{ field: 'recipient', message: tr('notify.console.team.errors.invalid') }]);
      }
      await service.addAllowed(s.id, { kind: values.kind as 'member' | 'guest', name: values.name, email, phone }, audit);
      return reply.redirect(`${base}/team?done=recipient-added`, 303);
    });
    admin.post('/admin/notify/:slug/team/:id/remove', async (req, reply) => {
      const { s, base, audit } = await scope(req);
      const id = (req.params as { id: string }).id;
      if (UUID.test(id)) await service.removeAllowed(s.id, id, audit);
      return reply.redirect(`${base}/team?done=recipient-removed`, 303);
    });

    // Callbacks
    const callbacksPage = async (
      req: FastifyRequest,
      reply: FastifyReply,
      s: any,
      base: string,
      fields: FieldError[] = [],
      values: Record<string, string> | null = null,
    ) => {
      if (fields.length) reply.status(400);
      const [delivery, inbound] = await Promise.all([service.callback(s.id, 'delivery_status'), service.callback(s.id, 'inbound_sms')]);
      return render(req, reply, 'callbacks', {
        title: t(req)('notify.console.callbacks.title'),
        s,
        base,
        values: values ?? { delivery_url: delivery?.url ?? '', inbound_url: inbound?.url ?? '' },
        hasToken: { delivery: !!delivery, inbound: !!inbound },
        ...formErrors(fields),
      });
    };
    admin.get('/admin/notify/:slug/callbacks', async (req, reply) => {
      const { s, base } = await scope(req);
      return callbacksPage(req, reply, s, base);
    });
    admin.post('/admin/notify/:slug/callbacks', async (req, reply) => {
      const { s, base, audit } = await scope(req);
      const body = req.body as FormBody | undefined;
      const tr = t(req);
      const fields: FieldError[] = [];
      const values = { delivery_url: str(body, 'delivery_url', 2000), inbound_url: str(body, 'inbound_url', 2000) };
      const plan: Array<['delivery_status' | 'inbound_sms', string, string]> = [];
      for (const [kind, urlField, tokenField] of [
        ['delivery_status', 'delivery_url', 'delivery_token'],
        ['inbound_sms', 'inbound_url', 'inbound_token'],
      ] as const) {
        const url = values[urlField];
        const token = str(body, tokenField, 500);
        const existing = await service.callback(s.id, kind);
        if (!url) {
          if (existing) plan.push([kind, '', '']);
          continue;
        }
        const bad = service.callbacks.checkUrl(url);
        if (bad) fields.push({ field: urlField, message: bad });
        if (!token && !existing) fields.push({ field: tokenField, message: tr('notify.console.callbacks.errors.token') });
        else if (token && token.length < 10) fields.push({ field: tokenField, message: tr('notify.console.callbacks.errors.tokenShort') });
        plan.push([kind, url, token]);
      }
      if (fields.length) return callbacksPage(req, reply, s, base, fields, values);
      for (const [kind, url, token] of plan) {
        if (!url || token) {
          await service.saveCallback(s.id, kind, url, token, audit);
          continue;
        }
        const existing = await service.callback(s.id, kind);
        if (existing) await service.saveCallback(s.id, kind, url, unseal(k.config.encryptionKey, existing.bearer_token_sealed), audit);
      }
      return reply.redirect(`${base}/callbacks?done=callbacks-saved`, 303);
    });

    // Sent messages
    admin.get('/admin/notify/:slug/messages', async (req, reply) => {
      const { s, base } = await scope(req);
      const q = req.query as Record<string, unknown>;
      const type = TYPES.includes(q.type as TemplateType) ? String(q.type) : '';
      const status = ['delivered', 'sending', 'failed', 'created', 'accepted', 'received'].includes(String(q.status))
        ? String(q.status)
        : '';
      const search = typeof q.q === 'string' ? q.q.trim().slice(0, 200) : '';
      const page = typeof q.page === 'string' && /^\d{1,5}$/.test(q.page) ? Math.max(1, Number(q.page)) : 1;
      const rows = await service.search(s.id, {
        types: type ? [type] : [],
        statuses: status ? internalStatuses([status]) : [],
        q: search || null,
        limit: PAGE + 1,
        offset: (page - 1) * PAGE,
      });
      const params = (p: number) =>
        `${base}/messages?${new URLSearchParams({ ...(type ? { type } : {}), ...(status ? { status } : {}), ...(search ? { q: search } : {}), page: String(p) })}`;
      const messages = rows.slice(0, PAGE).map((n) => ({
        ...n,
        shownStatus: externalStatus(n.type, n.status),
        to: n.type === 'letter' ? (n.address ?? []).join(', ') : n.recipient,
      }));
      return render(req, reply, 'messages', {
        title: t(req)('notify.console.messages.title'),
        s,
        base,
        messages,
        filters: { type, status, q: search },
        previous: page > 1 ? params(page - 1) : null,
        next: rows.length > PAGE ? params(page + 1) : null,
      });
    });

    admin.get('/admin/notify/:slug/messages/:id', async (req, reply) => {
      const { s, base } = await scope(req);
      const id = (req.params as { id: string }).id;
      if (!UUID.test(id)) throw new NotFound();
      const n = await service.notification(s.id, id).catch(() => {
        throw new NotFound('No such message');
      });
      return render(req, reply, 'message', {
        title: t(req)('notify.console.message.title'),
        s,
        base,
        n,
        shownStatus: externalStatus(n.type, n.status),
        html: n.type === 'sms' ? null : bodyPageHtml(n.body),
        reports: n.type === 'email' ? await service.emailReports(s.id, n.id) : [],
      });
    });

    // Settings
    admin.get('/admin/notify/:slug/settings', async (req, reply) => {
      const { s, base } = await scope(req);
      return render(req, reply, 'settings', {
        title: t(req)('notify.console.settings.title'),
        s,
        base,
        settings: (await service.settings(s.id)).settings,
        values: null,
      });
    });
    admin.post('/admin/notify/:slug/settings', async (req, reply) => {
      const { s, base, audit } = await scope(req);
      const body = req.body as FormBody | undefined;
      const current = (await service.settings(s.id)).settings;
      const num = (name: string) => {
        const v = str(body, name, 12);
        return /^\d+$/.test(v) ? Number(v) : null;
      };
      const replyTo = str(body, 'reply_to_email', 320);
      const fields: FieldError[] = [];
      if (replyTo) {
        try {
          validateEmail(replyTo);
        } catch {
          fields.push({ field: 'reply_to_email', message: t(req)('notify.console.team.errors.invalid') });
        }
      }
      const next = {
        ...current,
        email_from:
          str(body, 'email_from', 64)
            .toLowerCase()
            .replace(/[^a-z0-9.-]/g, '') || null,
        reply_to_email: replyTo || null,
        sms_sender: str(body, 'sms_sender', 11) || null,
        letter_contact_block: str(body, 'letter_contact_block', 1000) || null,
        restricted: str(body, 'restricted') === 'yes',
        international_sms: str(body, 'international_sms') === 'yes',
        rate_limit: num('rate_limit'),
        email_limit: num('email_limit'),
        sms_limit: num('sms_limit'),
        letter_limit: num('letter_limit'),
        inbound_number: str(body, 'inbound_number', 20) || null,
      };
      if (fields.length) {
        reply.status(400);
        return render(req, reply, 'settings', {
          title: t(req)('notify.console.settings.title'),
          s,
          base,
          settings: next,
          ...formErrors(fields),
        });
      }
      await service.saveSettings(s.id, next, audit);
      return reply.redirect(`${base}/settings?done=settings-saved`, 303);
    });
  });
}
