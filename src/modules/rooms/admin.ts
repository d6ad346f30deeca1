// The staff console at /admin/rooms: the calls about services this staff member may manage, and
// a form to set one up (title, services). Signed in through the console's password sign-in or
// identity, as every console page is. The call itself is at /rooms/{id}.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { guardStaff } from '../../kernel/staff.js';
import type { Kernel } from '../../kernel/module.js';
import { HttpError, type FieldError } from '../../kernel/errors.js';
import { formErrors, list, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { RoomsService, Staff } from './service.js';

export function roomsConsole(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, rooms: RoomsService) {
  const tr = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));

  app.register(async (scope) => {
    const staffOf = guardStaff<Staff>(scope, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id), expired: 'sign-in-if-get' });

    async function page(
      req: FastifyRequest,
      reply: FastifyReply,
      form: { fields?: FieldError[]; values?: { title?: string; services?: string[] } } = {},
    ) {
      const t = tr(req);
      const actor = staffOf(req);
      const services = (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
      const mine = await rooms.list(actor);
      const names = new Map(services.map((s) => [s.id, s.name]));
      const chosen = new Set(form.values?.services ?? []);
      return renderPage(k.views, req, reply.status(form.fields?.length ? 400 : 200), 'rooms/views/console.njk', {
        title: t('rooms.console.title'),
        rooms: mine.map((r) => ({
          ...r,
          serviceNames: r.service_ids
            .map((id) => names.get(id) ?? '')
            .filter(Boolean)
            .join(', '),
        })),
        serviceItems: services.map((s) => ({
          value: s.slug,
          text: s.name,
          hint: { text: s.organisation.name },
          checked: chosen.has(s.slug),
        })),
        values: form.values ?? {},
        ...formErrors(form.fields ?? []),
      });
    }

    scope.get('/admin/rooms', (req, reply) => page(req, reply));
    scope.post<{ Body: FormBody }>('/admin/rooms', async (req, reply) => {
      const t = tr(req);
      const title = str(req.body, 'title', 500);
      const services = list(req.body, 'services').slice(0, 50);
      const fields: FieldError[] = [];
      if (!title) fields.push({ field: 'title', message: t('rooms.console.errors.titleMissing') });
      else if (title.length > 120) fields.push({ field: 'title', message: t('rooms.console.errors.titleLong') });
      if (!services.length) fields.push({ field: 'services', message: t('rooms.console.errors.servicesMissing') });
      else if (services.length > 6) fields.push({ field: 'services', message: t('rooms.console.errors.servicesMany') });
      if (fields.length) return page(req, reply, { fields, values: { title, services } });
      try {
        const r = await rooms.create(staffOf(req), { title, services });
        return reply.redirect(`/rooms/${r.id}`, 303);
      } catch (err) {
        if (err instanceof HttpError && err.status === 400) {
          return page(req, reply, { fields: err.fields, values: { title, services } });
        }
        throw err;
      }
    });
  });
}
