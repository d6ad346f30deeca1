// Rendering identity's pages: through the kernel's renderPage for Fastify routes, and for
// the few pages oidc-provider draws itself (its error page, the sign-out confirmation) the
// same templates and layout rendered from a Koa context, with the same security headers.
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderPage, translator, urlWithLang, type Lang, type Views } from '../../kernel/views.js';
import { formErrors } from '../../kernel/forms.js';
import type { FieldError } from '../../kernel/errors.js';
import { contentSecurityPolicy, formOrigin } from '../../kernel/security.js';

/** Every journey page names the service the person came from, when there is one (`web.cameFrom`). */
export function page(views: Views, req: FastifyRequest, reply: FastifyReply, view: string, ctx: Record<string, unknown> = {}) {
  const cameFrom = (req as FastifyRequest & { _cameFrom?: string | null })._cameFrom ?? null;
  return renderPage(views, req, reply, `identity/views/${view}.njk`, { cameFrom, ...ctx });
}

export function pageWithErrors(
  views: Views,
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  fields: FieldError[],
  ctx: Record<string, unknown>,
  status = 400,
) {
  reply.status(status);
  return page(views, req, reply, view, { ...ctx, ...formErrors(fields) });
}

/** The language of a request the provider handles: ?ui_locales / ?lang, then the lang cookie. */
export function koaLang(ctx: KoaContextWithOIDC): Lang {
  const q = ctx.query as Record<string, unknown>;
  const asked = [q.lang, q.ui_locales].filter((x): x is string => typeof x === 'string').join(' ');
  if (/\bcy\b/.test(asked)) return 'cy';
  if (/\ben\b/.test(asked)) return 'en';
  return ctx.cookies.get('lang', { signed: false }) === 'cy' ? 'cy' : 'en';
}

/** `returnTo`: where a form on the page may end up after redirects (CSP form-action). */
export function renderKoa(views: Views, ctx: KoaContextWithOIDC, view: string, data: Record<string, unknown>, returnTo?: string) {
  const lang = koaLang(ctx);
  const nonce = randomBytes(16).toString('base64');
  ctx.type = 'html';
  ctx.set('content-security-policy', contentSecurityPolicy({ nonce, formAction: [formOrigin(returnTo)].filter((o): o is string => !!o) }));
  ctx.set('x-frame-options', 'DENY');
  ctx.set('referrer-policy', 'no-referrer');
  ctx.body = views.env.render(`identity/views/${view}.njk`, {
    title: translator(
      views.messages,
      lang,
    )(`identity.${view === 'oauth-error' ? 'oauthError' : view === 'signed-out' ? 'signedOut' : 'signOutConfirm'}.title`),
    ...data,
    lang,
    t: translator(views.messages, lang),
    currentPath: ((ctx.req as { originalUrl?: string }).originalUrl ?? ctx.url).split('?')[0],
    switchLangUrl: urlWithLang((ctx.req as { originalUrl?: string }).originalUrl ?? ctx.url, lang === 'en' ? 'cy' : 'en'),
    csrfToken: '',
    cspNonce: nonce,
    staff: null,
  });
}
