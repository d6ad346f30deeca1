// The pages every GOV.UK-style site carries, linked from every page's footer: the
// accessibility statement (GOV.UK's model statement), cookies (which ones Cityscape sets and
// why) and the privacy notice; and the developers' page, where the API links live.
import type { FastifyInstance } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { renderPage, requestLang, translator, type Lang } from '../../kernel/views.js';
import { csrfCookieName, SESSION_IDLE_SECONDS } from '../../kernel/sessions.js';

/** When the accessibility statement was written, reviewed, and the site last tested against WCAG 2.2 AA. */
export const STATEMENT_DATES = { prepared: '2026-12-05', reviewed: '2026-12-05', tested: '2026-12-05' };

/**
 * Every cookie Cityscape sets, with its lifetime in seconds (null: until the browser closes;
 * `idle`: a browser-session cookie whose session also ends after that long unused; `signed`: it
 * comes with a `<name>.sig` cookie holding its signature).
 * The test in pages.test.ts fails when a journey sets a cookie missing here or with another lifetime.
 */
export function cookieList(k: Kernel): Array<{ name: string; key?: string; maxAge: number | null; idle?: number; signed?: boolean }> {
  return [
    { name: 'lang', maxAge: 365 * 86400 },
    { name: csrfCookieName(k.config), key: 'cs_csrf', maxAge: null },
    { name: 'cs_session', maxAge: null, idle: SESSION_IDLE_SECONDS },
    { name: 'cs_pay', maxAge: 3 * 3600 },
    { name: 'cs_pay_lang', maxAge: 3 * 3600 },
    { name: 'cs_oidc_session', signed: true, maxAge: k.config.identity.sessionTtlSeconds },
    { name: 'cs_oidc_interaction', signed: true, maxAge: 3600 },
    { name: 'cs_oidc_resume', signed: true, maxAge: 3600 },
  ];
}

function lifetime(t: ReturnType<typeof translator>, c: { maxAge: number | null; idle?: number }): string {
  if (c.idle) return t('site.cookies.idle', { hours: Math.round(c.idle / 3600) });
  if (c.maxAge === null) return t('site.cookies.whenClosed');
  if (c.maxAge >= 365 * 86400) return t('site.cookies.oneYear');
  if (c.maxAge === 86400) return t('site.cookies.oneDay');
  if (c.maxAge > 86400) return t('site.cookies.days', { days: Math.round(c.maxAge / 86400) });
  if (c.maxAge === 3600) return t('site.cookies.oneHour');
  return t('site.cookies.hours', { hours: Math.round(c.maxAge / 3600) });
}

export function sitePages(app: FastifyInstance, k: Kernel, apis: (lang: Lang) => Array<{ tag: string; name: string }>) {
  const { views, config } = k;
  const who = { operator: config.site.operator, contactEmail: config.site.contactEmail ?? null };
  const siteName = config.site.operator === 'Cityscape' ? 'Cityscape' : `Cityscape (${config.site.operator})`;

  app.get('/accessibility', (req, reply) =>
    renderPage(views, req, reply, 'site/views/accessibility.njk', {
      ...who,
      siteName,
      publicUrl: config.publicUrl,
      dates: STATEMENT_DATES,
    }),
  );
  app.get('/cookies', (req, reply) => {
    const t = translator(views.messages, requestLang(req));
    return renderPage(views, req, reply, 'site/views/cookies.njk', {
      cookies: cookieList(k).map((c) => ({
        names: c.signed ? [c.name, `${c.name}.sig`] : [c.name],
        key: c.key ?? c.name,
        expires: lifetime(t, c),
      })),
    });
  });
  app.get('/privacy', (req, reply) => renderPage(views, req, reply, 'site/views/privacy.njk', who));
  app.get('/developers', (req, reply) => renderPage(views, req, reply, 'site/views/developers.njk', { apis: apis(requestLang(req)) }));
}
