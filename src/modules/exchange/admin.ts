// Staff console for the exchange (/admin/exchange): members and their subsystems, data services
// with their attributes, legal bases, and access rights — granted and revoked here by platform
// administrators (the same rules as the CLI, in exchange/service.ts), seen by any staff member.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { guardStaff } from '../../kernel/staff.js';
import type { Kernel } from '../../kernel/module.js';
import { HttpError } from '../../kernel/errors.js';
import { formErrors, str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import type { DirectoryCache } from './directory.js';
import type { ExchangeService } from './service.js';

type Staff = Actor & { kind: 'staff' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const split = (s: string) =>
  s
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function exchangeConsole(
  app: FastifyInstance,
  k: Kernel,
  deps: { catalogue: CatalogueService; directory: DirectoryCache; service: ExchangeService },
) {
  const t = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));
  app.register(async (admin) => {
    const actorOf = guardStaff<Staff>(admin, { sessions: k.sessions, actor: (id) => deps.catalogue.staffActor(id), expired: 'sign-in' });

    async function page(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
      const tr = t(req);
      const d = await deps.directory.get();
      const rights = [...d.rights.values()].flat();
      return renderPage(k.views, req, reply, 'exchange/views/admin.njk', {
        title: tr('exchange.admin.title'),
        canChange: actorOf(req).role === 'platform_admin',
        members: [...d.members.values()].map((m) => [
          { text: m.key },
          { text: m.row.name },
          { text: m.subsystems.map((s) => s.row.code).join(', ') || '—' },
          { text: m.keys.map((x) => x.kid).join(', ') },
        ]),
        services: [...d.services.values()].map((s) => [
          { text: s.key },
          { text: s.row.title },
          {
            html: s.attributes
              .map(
                (a) =>
                  `${esc(a.name)} <span class="govuk-hint govuk-!-display-inline">(${esc(a.dpv_category)}${a.sensitivity === 'special' ? ', special' : ''})</span>`,
              )
              .join('<br>'),
          },
          { text: s.row.url },
        ]),
        bases: [...d.bases.values()].map((b) => [
          { text: b.id },
          { text: b.title },
          { text: b.citation },
          {
            text:
              [b.objection ? tr('exchange.admin.objection') : '', b.covert ? tr('exchange.admin.covert') : ''].filter(Boolean).join(', ') ||
              '—',
          },
        ]),
        rights: rights.map((r) => ({
          id: r.id,
          client: r.client,
          service: d.servicesById.get(r.service_id)?.key ?? r.service_id,
          purposes: r.purposes.join(', '),
          attributes: r.attributes.join(', '),
          bases: r.bases.join(', ') + (r.covert_days ? ` (${tr('exchange.admin.covert')} ${r.covert_days}d)` : ''),
        })),
        clientItems: [
          { value: '', text: tr('exchange.admin.choose') },
          ...[...d.subsystems.values()].map((s) => ({ value: s.key, text: `${s.key} — ${s.row.name}` })),
        ],
        serviceItems: [
          { value: '', text: tr('exchange.admin.choose') },
          ...[...d.services.values()].map((s) => ({ value: s.key, text: `${s.key} — ${s.row.title}` })),
        ],
        done:
          (req.query as Record<string, unknown>).done === 'granted'
            ? tr('exchange.admin.granted')
            : (req.query as Record<string, unknown>).done === 'revoked'
              ? tr('exchange.admin.revoked')
              : null,
        values: {},
        errors: {},
        ...extra,
      });
    }

    admin.get('/admin/exchange', (req, reply) => page(req, reply));

    admin.post('/admin/exchange/rights', async (req, reply) => {
      const b = req.body as FormBody;
      const values = {
        client: str(b, 'client', 400),
        service: str(b, 'service', 400),
        purposes: str(b, 'purposes', 1000),
        attributes: str(b, 'attributes', 2000),
        bases: str(b, 'bases', 1000),
      };
      try {
        await deps.service.grant(actorOf(req), {
          client: values.client,
          service: values.service,
          purposes: split(values.purposes),
          attributes: split(values.attributes),
          bases: split(values.bases),
        });
      } catch (err) {
        if (!(err instanceof HttpError) || err.status >= 500) throw err;
        const fields = err.fields.length ? err.fields : [{ field: 'client', message: err.message }];
        reply.status(err.status === 403 ? 403 : 400);
        return page(req, reply, { values, ...formErrors(fields) });
      }
      return reply.redirect('/admin/exchange?done=granted#rights', 303);
    });

    admin.post('/admin/exchange/rights/:id/revoke', async (req, reply) => {
      await deps.service.revoke(actorOf(req), (req.params as { id: string }).id);
      return reply.redirect('/admin/exchange?done=revoked#rights', 303);
    });
  });
}
