// Staff console pages for relying services (/admin/identity/clients): register an OpenID
// Connect client for a catalogue service — redirect URIs, public keys or a secret, scopes and
// identity claims, the highest identity level it may ask for, back-channel logout — and see or
// disable one. Same sign-in as the rest of the console (kernel session → catalogue staff actor);
// permissions are the catalogue's (may this person manage that service?).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { guardStaff } from '../../kernel/staff.js';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden, type FieldError } from '../../kernel/errors.js';
import { fieldErrorsFrom, list, str, type FormBody } from '../../kernel/forms.js';
import { requestLang, translator } from '../../kernel/views.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { IDENTITY_CLAIMS, type Clients } from './clients.js';
import { page, pageWithErrors } from './render.js';

type Staff = Actor & { kind: 'staff' };

export function adminPages(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, clients: Clients) {
  const v = k.views;
  const t = (req: FastifyRequest) => translator(v.messages, requestLang(req));

  app.register(async (admin) => {
    const actorOf = guardStaff<Staff>(admin, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id), expired: 'sign-in' });

    async function manageable(actor: Staff) {
      return (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
    }

    admin.get('/admin/identity/clients', async (req, reply) => {
      const services = await manageable(actorOf(req));
      const names = new Map(services.map((s) => [s.id, s.name]));
      const rows = (await clients.list(services.map((s) => s.id))).map((c) => [
        { html: `<a class="govuk-link" href="/admin/identity/clients/${encodeURIComponent(c.clientId)}">${escapeHtml(c.name)}</a>` },
        { text: names.get(c.serviceId) ?? '' },
        { text: c.authMethod },
        { text: t(req)(c.disabled ? 'identity.admin.disabled' : 'identity.admin.active') },
      ]);
      const done = (req.query as Record<string, unknown>).done === 'disabled' ? t(req)('identity.admin.disabledDone') : null;
      return page(v, req, reply, 'admin-clients', {
        title: t(req)('identity.admin.title'),
        rows,
        issuer: `${k.config.publicUrl}/identity`,
        banner: done,
      });
    });

    const form = async (req: FastifyRequest, values: Record<string, unknown> = {}) => {
      const tr = t(req);
      const services = await manageable(actorOf(req));
      const claimName = (c: string) => c.split('/').pop()!;
      return {
        title: tr('identity.admin.newTitle'),
        action: '/admin/identity/clients/new',
        button: tr('identity.admin.create'),
        fields: [
          {
            type: 'select',
            name: 'service',
            label: tr('identity.admin.service'),
            value: values.service ?? '',
            items: [
              { value: '', text: tr('identity.admin.chooseService') },
              ...services.map((s) => ({ value: s.id, text: `${s.name} (${s.organisation.name})` })),
            ],
          },
          { name: 'name', label: tr('identity.admin.name'), hint: tr('identity.admin.nameHint'), value: values.name ?? '' },
          {
            type: 'textarea',
            name: 'redirectUris',
            label: tr('identity.admin.redirectUris'),
            hint: tr('identity.admin.redirectUrisHint'),
            value: values.redirectUris ?? '',
          },
          {
            type: 'textarea',
            name: 'postLogoutRedirectUris',
            label: tr('identity.admin.postLogout'),
            hint: tr('identity.admin.postLogoutHint'),
            value: values.postLogoutRedirectUris ?? '',
            rows: 2,
          },
          {
            type: 'textarea',
            name: 'jwks',
            label: tr('identity.admin.jwks'),
            hint: tr('identity.admin.jwksHint'),
            value: values.jwks ?? '',
            rows: 6,
          },
          {
            type: 'checkboxes',
            name: 'scopes',
            legend: tr('identity.admin.scopes'),
            values: values.scopes ?? [],
            items: ['email', 'phone', 'offline_access'].map((s) => ({ value: s, text: s })),
          },
          {
            type: 'checkboxes',
            name: 'claims',
            legend: tr('identity.admin.claims'),
            hint: tr('identity.admin.claimsHint'),
            values: values.claims ?? [],
            items: IDENTITY_CLAIMS.map((c) => ({ value: c, text: claimName(c) })),
          },
          {
            type: 'radios',
            name: 'maxIdentityLevel',
            legend: tr('identity.admin.level'),
            value: values.maxIdentityLevel ?? 'P0',
            items: ['P0', 'P1', 'P2'].map((l) => ({ value: l, text: tr(`identity.admin.levels.${l}`) })),
          },
          {
            name: 'backchannelLogoutUri',
            label: tr('identity.admin.backchannel'),
            hint: tr('identity.admin.backchannelHint'),
            inputType: 'url',
            value: values.backchannelLogoutUri ?? '',
          },
        ],
      };
    };

    admin.get('/admin/identity/clients/new', async (req, reply) => page(v, req, reply, 'form', await form(req)));

    admin.post('/admin/identity/clients/new', async (req, reply) => {
      const body = req.body as FormBody | undefined;
      const lines = (name: string) =>
        str(body, name, 20_000)
          .split(/\r?\n/)
          .map((s) => s.trim())
          .filter(Boolean);
      const values = {
        service: str(body, 'service'),
        name: str(body, 'name', 300),
        redirectUris: str(body, 'redirectUris', 20_000),
        postLogoutRedirectUris: str(body, 'postLogoutRedirectUris', 20_000),
        jwks: str(body, 'jwks', 50_000),
        scopes: list(body, 'scopes'),
        claims: list(body, 'claims'),
        maxIdentityLevel: str(body, 'maxIdentityLevel') || 'P0',
        backchannelLogoutUri: str(body, 'backchannelLogoutUri', 2000),
      };
      const errors: FieldError[] = [];
      let jwks: { keys: Array<Record<string, unknown>> } | null = null;
      if (values.jwks) {
        try {
          jwks = JSON.parse(values.jwks);
        } catch {
          errors.push({ field: 'jwks', message: t(req)('identity.admin.errors.jwksJson') });
        }
      }
      if (!values.service) errors.push({ field: 'service', message: t(req)('identity.admin.errors.service') });
      if (errors.length) return pageWithErrors(v, req, reply, 'form', errors, await form(req, values));
      try {
        const { client, secret } = await clients.create(actorOf(req), {
          serviceId: values.service,
          name: values.name,
          redirectUris: lines('redirectUris'),
          postLogoutRedirectUris: lines('postLogoutRedirectUris'),
          jwks,
          scopes: values.scopes,
          claims: values.claims,
          maxIdentityLevel: values.maxIdentityLevel as 'P0' | 'P1' | 'P2',
          backchannelLogoutUri: values.backchannelLogoutUri || null,
        });
        reply.header('cache-control', 'no-store');
        return page(v, req, reply, 'admin-client', await details(req, client.clientId, { created: true, secret }));
      } catch (err) {
        if (err instanceof Forbidden) throw err;
        return pageWithErrors(v, req, reply, 'form', fieldErrorsFrom(err, 'name'), await form(req, values));
      }
    });

    async function details(req: FastifyRequest, clientId: string, extra: Record<string, unknown> = {}) {
      const tr = t(req);
      const c = await clients.get(clientId);
      const svc = await catalogue.getServiceById(c.serviceId);
      const actor = actorOf(req);
      if (!catalogue.canManage(actor, svc?.organisation.id ?? null, 'service')) throw new Forbidden();
      const row = (key: string, text: string) => ({ key: { text: tr(key) }, value: { text } });
      return {
        title: c.name,
        client: c,
        serviceName: svc?.name ?? '',
        canManage: true,
        ...extra,
        detailRows: [
          row('identity.admin.clientId', c.clientId),
          row('identity.admin.issuer', `${k.config.publicUrl}/identity`),
          row('identity.admin.authMethod', c.authMethod),
          row('identity.admin.redirectUris', c.redirectUris.join('\n')),
          row('identity.admin.postLogout', c.postLogoutRedirectUris.join('\n') || '–'),
          row('identity.admin.scopes', c.scopes.join(' ')),
          row('identity.admin.claims', c.claims.join('\n') || '–'),
          row('identity.admin.level', c.maxIdentityLevel),
          row('identity.admin.backchannel', c.backchannelLogoutUri ?? '–'),
          row('identity.admin.status', tr(c.disabled ? 'identity.admin.disabled' : 'identity.admin.active')),
        ],
      };
    }

    admin.get('/admin/identity/clients/:clientId', async (req, reply) =>
      page(v, req, reply, 'admin-client', await details(req, (req.params as { clientId: string }).clientId)),
    );

    admin.post('/admin/identity/clients/:clientId/disable', async (req, reply) => {
      await clients.disable(actorOf(req), (req.params as { clientId: string }).clientId);
      return reply.redirect('/admin/identity/clients?done=disabled', 303);
    });
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
