// Public API documentation, rendered on the server from the OpenAPI document (/openapi.json)
// with govuk-frontend: /docs lists the APIs, /docs/:api shows one API's operations with
// their parameters, request and response bodies and its error shape. Readable without
// JavaScript and accessible like every other page (it replaces Swagger UI).
import type { FastifyInstance } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { NotFound } from '../../kernel/errors.js';
import { renderCachedPage, requestLang, translator, type Lang } from '../../kernel/views.js';
import { createCache } from '../../kernel/cache.js';
import { apisOf, type ApiView } from './openapi.js';

/**
 * A real error from this API, to show its shape: one of its operations called the way a
 * first attempt often goes wrong — without an API key, or without its required parameters.
 */
async function errorExample(app: FastifyInstance, api: ApiView): Promise<ErrorExample | null> {
  const op = api.operations.find((o) => o.needsKey) ?? api.operations.find((o) => o.parameters.some((p) => p.required));
  if (!op) return null;
  const url = op.path.replace(/\{[^}]+\}/g, 'example');
  const res = await app.inject({
    method: op.method as 'GET',
    url,
    headers: { accept: 'application/json', ...(op.requestBody ? { 'content-type': 'application/json' } : {}) },
    ...(op.requestBody ? { payload: '{}' } : {}),
  });
  if (res.statusCode < 400) return null;
  let body: string;
  try {
    body = JSON.stringify(JSON.parse(res.body), null, 2);
  } catch {
    return null;
  }
  return { request: `${op.method} ${url}`, why: op.needsKey ? 'withoutKey' : 'withoutParameters', status: res.statusCode, body };
}
interface ErrorExample {
  request: string;
  why: 'withoutKey' | 'withoutParameters';
  status: number;
  body: string;
}

export function docsPages(app: FastifyInstance, k: Kernel) {
  const { views } = k;
  // The document never changes while the process runs: work it out once per language.
  const models = new Map<Lang, ApiView[]>();
  const apis = (lang: Lang): ApiView[] => {
    let m = models.get(lang);
    if (!m) {
      m = apisOf(app.swagger() as Record<string, any>, translator(views.messages, lang));
      models.set(lang, m);
    }
    return m;
  };
  const named = (lang: Lang, api: ApiView) => {
    const t = translator(views.messages, lang);
    const key = `site.docs.apis.${api.tag}`;
    const known = `${key}.name` in views.messages.en;
    return { ...api, name: known ? t(`${key}.name`) : api.tag, summary: known ? t(`${key}.summary`) : '' };
  };
  const pages = createCache<string>({ ttlMs: 24 * 3600_000, max: 200 });

  app.get('/docs', async (req, reply) => {
    const lang = requestLang(req);
    return renderCachedPage(views, req, reply, pages, 'site/views/docs-index.njk', async () => ({
      apis: apis(lang).map((a) => named(lang, a)),
    }));
  });

  app.get('/docs/:api', async (req, reply) => {
    const lang = requestLang(req);
    const api = apis(lang).find((a) => a.tag === (req.params as { api: string }).api);
    if (!api) throw new NotFound();
    return renderCachedPage(views, req, reply, pages, 'site/views/docs-api.njk', async () => ({
      api: named(lang, api),
      publicUrl: k.config.publicUrl,
      errorExample: await errorExample(app, api),
    }));
  });

  return { apis: (lang: Lang) => apis(lang).map((a) => named(lang, a)) };
}
