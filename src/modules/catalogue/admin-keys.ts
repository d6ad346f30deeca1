// Staff console: API keys for a service. Creating a key renders its secret once (never
// stored in plain text, never redirected to a page that could show it again, never cached);
// revoking asks for confirmation first.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { NotFound, type FieldError } from '../../kernel/errors.js';
import type { FormBody } from '../../kernel/forms.js';
import type { CatalogueService } from './service.js';
import { KEY_PLATFORMS, KEY_TYPES, type Service } from './schema.js';
import { checker, redirectDone, render, renderErrors, ruleErrors, serviceFor, tr, values } from './admin-common.js';
import { options, radioItems, selectItems } from './admin-form-items.js';

export function adminKeyPages(app: FastifyInstance, kernel: Kernel, catalogue: CatalogueService) {
  const formPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    service: Service,
    vals: Record<string, string>,
    fields: FieldError[] = [],
  ) => {
    const t = tr(kernel, req);
    const ctx = {
      title: t('catalogue.admin.keys.newTitle'),
      service,
      values: vals,
      platformItems: selectItems(options(KEY_PLATFORMS, t, 'keyPlatforms'), vals.platform, t('catalogue.admin.keys.choosePlatform')),
      typeItems: radioItems(
        KEY_TYPES.map((v) => ({
          value: v,
          text: t(`catalogue.admin.keyTypes.${v}`),
          hint: { text: t(`catalogue.admin.keyTypes.${v}Hint`) },
        })),
        vals.type,
      ),
    };
    return fields.length ? renderErrors(kernel, req, reply, 'key-form', fields, ctx) : render(kernel, req, reply, 'key-form', ctx);
  };

  app.get('/admin/services/:slug/api-keys/new', async (req, reply) => {
    const { service } = await serviceFor(catalogue, req, 'service');
    return formPage(req, reply, service, {});
  });

  app.post('/admin/services/:slug/api-keys/new', async (req, reply) => {
    const { actor, service } = await serviceFor(catalogue, req, 'service');
    const t = tr(kernel, req);
    const vals = values(req.body as FormBody | undefined, ['name', 'platform', 'type']);
    const c = checker(t);
    c.required('name', vals.name, 'keyNameMissing', 100);
    c.oneOf('platform', vals.platform, KEY_PLATFORMS, 'platformMissing');
    c.oneOf('type', vals.type, KEY_TYPES, 'keyTypeMissing');
    if (c.errors.length) return formPage(req, reply, service, vals, c.errors);
    let created: Awaited<ReturnType<CatalogueService['createApiKey']>>;
    try {
      created = await catalogue.createApiKey(actor, {
        serviceSlug: service.slug,
        platform: vals.platform,
        type: vals.type,
        name: vals.name,
      });
    } catch (err) {
      return formPage(req, reply, service, vals, ruleErrors(err, 'name', t));
    }
    reply.header('cache-control', 'no-store');
    return render(kernel, req, reply, 'key-created', {
      title: t('catalogue.admin.keys.createdTitle'),
      service,
      key: created.key,
      secret: created.secret,
    });
  });

  const keyFor = async (req: FastifyRequest) => {
    const { actor, service } = await serviceFor(catalogue, req, 'service');
    const id = (req.params as { id: string }).id;
    const key = (await catalogue.listApiKeys(service.id)).find((k) => k.id === id);
    if (!key) throw new NotFound(`No API key with id "${id}" for this service`, 'api_key_not_found');
    return { actor, service, key };
  };

  app.get('/admin/services/:slug/api-keys/:id/revoke', async (req, reply) => {
    const { service, key } = await keyFor(req);
    return render(kernel, req, reply, 'key-revoke', { title: tr(kernel, req)('catalogue.admin.keys.revokeTitle'), service, key });
  });

  app.post('/admin/services/:slug/api-keys/:id/revoke', async (req, reply) => {
    const { actor, service, key } = await keyFor(req);
    await catalogue.revokeApiKey(actor, key.id);
    return redirectDone(reply, `/admin/services/${service.slug}`, 'key-revoked');
  });
}
